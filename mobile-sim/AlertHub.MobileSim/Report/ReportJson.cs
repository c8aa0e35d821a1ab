using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlertHub.MobileSim.Report;

/// <summary>report.json: camelCase, indented, one line per resident outcome (a million of them stay greppable and diffable).</summary>
internal static class ReportJson
{
    /// <summary>Bumped when a field changes meaning; new optional fields do not bump it.</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions Compact = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new OneLineConverter<ResidentOutcome>(), new OneLineConverter<CdfPoint>() },
    };

    public static string Serialize(SimulationReport report) => JsonSerializer.Serialize(report, Options);

    public static async Task WriteAsync(string path, SimulationReport report, CancellationToken cancellationToken)
    {
        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, report, Options, cancellationToken);
    }

    /// <exception cref="InvalidDataException">The file is not a mobile-sim report.</exception>
    public static async Task<SimulationReport> ReadAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        try
        {
            return await JsonSerializer.DeserializeAsync<SimulationReport>(stream, Options, cancellationToken)
                ?? throw new InvalidDataException($"{path} holds no report.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not a mobile-sim report.json: {ex.Message}", ex);
        }
    }

    /// <summary>Writes small records on one line inside the indented document; reads them as usual.</summary>
    private sealed class OneLineConverter<T> : JsonConverter<T>
    {
        public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            JsonSerializer.Deserialize<T>(ref reader, Compact);

        // Utf8JsonWriter does not indent raw values, so each element brings its own newline and indentation
        // (these records only ever appear as array elements).
        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteRawValue("\n" + new string(' ', 2 * writer.CurrentDepth) + JsonSerializer.Serialize(value, Compact), skipInputValidation: true);
    }
}
