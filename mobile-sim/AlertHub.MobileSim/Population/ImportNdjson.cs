using System.Text.Encodings.Web;
using System.Text.Json;

namespace AlertHub.MobileSim.Population;

/// <summary>Writes residents as the hub's bulk-import NDJSON (one resident per line).</summary>
internal static class ImportNdjson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="webhookBase">Base of the webhook addresses, e.g. <c>http://127.0.0.1:41234/hook/</c>.</param>
    /// <param name="endpointFor">The endpoint of residents on provider channels (fcm, line, webpush, email …), from their peer.</param>
    public static void Write(Stream output, IEnumerable<SimResident> residents, string webhookBase, Func<SimResident, Peers.SimEndpoint>? endpointFor = null)
    {
        foreach (var r in residents)
        {
            using (var w = new Utf8JsonWriter(output, WriterOptions))
            {
                WriteLine(w, r, webhookBase, endpointFor);
            }

            output.WriteByte((byte)'\n');
        }
    }

    private static void WriteLine(Utf8JsonWriter w, SimResident r, string webhookBase, Func<SimResident, Peers.SimEndpoint>? endpointFor)
    {
        w.WriteStartObject();
        w.WriteString("externalId", r.ExternalId);
        w.WriteStartObject("attributes");
        w.WriteStartArray("householdTags");
        foreach (var tag in r.HouseholdTags)
        {
            w.WriteStringValue(tag);
        }

        w.WriteEndArray();
        w.WriteString("language", r.Language);
        w.WriteStartArray("tags");
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartArray("places");
        foreach (var p in r.Places)
        {
            w.WriteStartObject();
            w.WriteString("label", p.Label);
            w.WriteNumber("lat", p.Lat);
            w.WriteNumber("lon", p.Lon);
            w.WriteEndObject();
        }

        w.WriteEndArray();

        w.WriteStartArray("endpoints");
        w.WriteStartObject();
        w.WriteString("channel", r.Channel);
        if (r.Channel == SimChannels.Webhook)
        {
            w.WriteString("address", webhookBase + Uri.EscapeDataString(r.ExternalId));
            w.WriteString("secret", r.WebhookSecret);
        }
        else if (r.Channel != SimChannels.SignalR)
        {
            var endpoint = endpointFor?.Invoke(r) ?? throw new InvalidOperationException($"No peer serves channel '{r.Channel}'.");
            if (endpoint.Address is not null)
            {
                w.WriteString("address", endpoint.Address);
            }

            if (endpoint.Secret is not null)
            {
                w.WriteString("secret", endpoint.Secret);
            }

            if (endpoint.Keys is { Count: > 0 } keys)
            {
                w.WriteStartObject("keys");
                foreach (var (k, v) in keys)
                {
                    w.WriteString(k, v);
                }

                w.WriteEndObject();
            }
        }

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
