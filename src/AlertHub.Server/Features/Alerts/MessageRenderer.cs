using AlertHub.Core.Delivery;

namespace AlertHub.Server.Features.Alerts;

/// <summary>
/// Picks the resident's language and renders one message within a channel's limits, marking drills,
/// tests, updates and cancellations so nobody mistakes a drill or a retraction.
/// </summary>
internal static class MessageRenderer
{
    public static string ChooseLanguage(AlertDocument alert, string? residentLanguage)
    {
        if (residentLanguage is not null)
        {
            if (alert.Texts.ContainsKey(residentLanguage))
            {
                return residentLanguage;
            }

            var primary = residentLanguage.Split('-')[0];
            if (alert.Texts.ContainsKey(primary))
            {
                return primary;
            }
        }

        foreach (var fallback in alert.LanguageFallback)
        {
            if (alert.Texts.ContainsKey(fallback))
            {
                return fallback;
            }
        }

        return alert.Texts.Keys.First();
    }

    public static RenderedMessage Render(AlertDocument alert, string? residentLanguage, ChannelLimits limits)
    {
        var language = ChooseLanguage(alert, residentLanguage);
        var text = alert.Texts[language];
        var japanese = language.StartsWith("ja", StringComparison.OrdinalIgnoreCase);
        // やさしい日本語 readers may not read 訓練: the drill marker is written in kana for them.
        var easy = language.Equals("ja-x-easy", StringComparison.OrdinalIgnoreCase);
        var marker = Marker(alert, japanese, easy);
        var headline = Truncate(marker + (text.Headline ?? alert.Event), limits.MaxTitleLength);
        var body = text.Body ?? "";
        if (alert.Status == AlertStatus.Exercise)
        {
            body = (easy ? "これは くんれん です。" : japanese ? "これは訓練です。" : "This is a drill. ") + body;
        }
        else if (alert.Status == AlertStatus.Test)
        {
            body = (japanese ? "これは試験配信です。" : "This is a test message. ") + body;
        }

        var showImage = alert.MsgType != MsgType.Cancel && !alert.AllClear;
        return new RenderedMessage(alert.Id, alert.Version, alert.MsgType.ToString(), alert.Status.ToString(), alert.Severity.ToString(),
            alert.Urgency.ToString(), alert.Event, language, headline, Truncate(body, limits.MaxBodyLength),
            text.Instruction is null ? null : Truncate(text.Instruction, limits.MaxBodyLength), alert.AreaName, alert.Sent, alert.Expires)
        {
            // A retraction or an all-clear does not repeat the picture of the danger.
            ImageUrl = showImage ? alert.Image?.Url : null,
            ImageSmallUrl = showImage ? alert.Image?.SmallUrl : null,
        };
    }

    private static string Marker(AlertDocument alert, bool japanese, bool easy)
    {
        var status = alert.Status switch
        {
            AlertStatus.Exercise => easy ? "【くんれん】" : japanese ? "【訓練】" : "[EXERCISE] ",
            AlertStatus.Test => japanese ? "【試験】" : "[TEST] ",
            _ => "",
        };
        var type = alert.MsgType switch
        {
            MsgType.Update when alert.AllClear => japanese ? "【解除】" : "[ALL CLEAR] ",
            MsgType.Update => japanese ? "【更新】" : "[UPDATE] ",
            MsgType.Cancel => japanese ? "【取消】" : "[CANCELLED] ",
            _ => "",
        };
        return status + type;
    }

    private static string Truncate(string value, int max) =>
        value.Length <= max ? value : string.Concat(value.AsSpan(0, Math.Max(0, max - 1)), "…");
}
