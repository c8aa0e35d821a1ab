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
        // Staff who could not see the markers typed them themselves (【訓練】【訓練】): the copy in the text goes, the hub's stays.
        var own = StripLeading(text.Headline ?? alert.Event, AddedHeadlineMarkers(alert));
        var headline = Truncate(marker + (own.Length > 0 ? own : alert.Event), limits.MaxTitleLength);
        var body = StripLeading(text.Body ?? "", AddedBodyNotices(alert));
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

    /// <summary>
    /// The markers the hub adds to this version found at the start of a staff text (any language's spelling), and markers
    /// that contradict it (【訓練】 in a real alert): the confirmation screen says so before anything is sent.
    /// </summary>
    public static IEnumerable<(string Code, string Field, string Marker)> TypedMarkers(AlertDocument alert, AlertText text)
    {
        foreach (var (field, value, added) in new[]
                 {
                     ("headline", text.Headline, AddedHeadlineMarkers(alert)), ("body", text.Body, AddedBodyNotices(alert)),
                 })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            foreach (var marker in added.Where(m => value.TrimStart().StartsWith(m.Trim(), StringComparison.OrdinalIgnoreCase)))
            {
                yield return ("alerts.text_marker_added_by_hub", field, marker.Trim());
            }

            if (alert.Status != AlertStatus.Exercise)
            {
                foreach (var marker in ExerciseMarkers.Concat(ExerciseNotices).Where(m => value.Contains(m.Trim(), StringComparison.OrdinalIgnoreCase)))
                {
                    yield return ("alerts.text_marker_contradicts_status", field, marker.Trim());
                }
            }
        }
    }

    private static readonly string[] ExerciseMarkers = ["【訓練】", "【くんれん】", "[EXERCISE]"];
    private static readonly string[] ExerciseNotices = ["これは訓練です。", "これは くんれん です。", "これはくんれんです。", "This is a drill."];

    /// <summary>Every spelling of the headline markers the hub puts before this version's headline.</summary>
    private static string[] AddedHeadlineMarkers(AlertDocument alert)
    {
        IEnumerable<string> status = alert.Status switch
        {
            AlertStatus.Exercise => ExerciseMarkers,
            AlertStatus.Test => ["【試験】", "[TEST]"],
            _ => [],
        };
        IEnumerable<string> type = alert.MsgType switch
        {
            MsgType.Update when alert.AllClear => ["【解除】", "[ALL CLEAR]"],
            MsgType.Update => ["【更新】", "[UPDATE]"],
            MsgType.Cancel => ["【取消】", "[CANCELLED]"],
            _ => [],
        };
        return [.. status.Concat(type)];
    }

    private static string[] AddedBodyNotices(AlertDocument alert) => alert.Status switch
    {
        AlertStatus.Exercise => ExerciseNotices,
        AlertStatus.Test => ["これは試験配信です。", "This is a test message."],
        _ => [],
    };

    private static string StripLeading(string value, string[] markers)
    {
        var rest = value;
        for (var again = true; again;)
        {
            again = false;
            var trimmed = rest.TrimStart();
            foreach (var marker in markers)
            {
                if (trimmed.StartsWith(marker.Trim(), StringComparison.OrdinalIgnoreCase))
                {
                    rest = trimmed[marker.Trim().Length..].TrimStart();
                    again = true;
                    break;
                }
            }
        }

        return rest;
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
