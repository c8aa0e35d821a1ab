using System.Text;
using System.Text.RegularExpressions;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Alerts;
using Twilio.TwiML;
using Twilio.TwiML.Voice;

namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

/// <summary>
/// What a call says and the TwiML that says it. Twilio speaks the text (<c>&lt;Say language="ja-JP"&gt;</c>), so the hub
/// synthesises nothing itself. A person hears the message twice inside a <c>&lt;Gather&gt;</c> — 「1 を押すと受け取り」 — so
/// pressing 1 at any moment acknowledges it; an answering machine gets it once, after the beep, and the call ends.
/// </summary>
internal static partial class VoiceScript
{
    /// <summary>The Twilio <c>language</c> for a resident's text language; やさしい日本語 is read by the Japanese voice.</summary>
    public static string TwilioLanguage(string language)
    {
        var primary = language.Split('-')[0].ToLowerInvariant();
        return primary switch
        {
            "ja" => "ja-JP",
            "en" => "en-US",
            "zh" => "cmn-CN",
            "ko" => "ko-KR",
            "vi" => "vi-VN",
            "pt" => "pt-BR",
            "es" => "es-ES",
            "fr" => "fr-FR",
            "de" => "de-DE",
            "th" => "th-TH",
            "id" => "id-ID",
            "tl" or "fil" => "fil-PH",
            _ => "en-US",
        };
    }

    /// <summary>The words of the message in the resident's language, markers spoken instead of written.</summary>
    public static string Spoken(RenderedMessage m, VoiceChannelOptions options)
    {
        var japanese = m.Language.StartsWith("ja", StringComparison.OrdinalIgnoreCase);
        var easy = m.Language.Equals("ja-x-easy", StringComparison.OrdinalIgnoreCase);
        var s = new StringBuilder(japanese ? options.Opening : options.OpeningEnglish);
        Sentence(s, (m.Status, japanese, easy) switch
        {
            (nameof(AlertStatus.Exercise), _, true) => "これは くんれん です。",
            (nameof(AlertStatus.Exercise), true, _) => "これは訓練です。",
            (nameof(AlertStatus.Exercise), false, _) => "This is a drill.",
            (nameof(AlertStatus.Test), true, _) => "これは試験です。",
            (nameof(AlertStatus.Test), false, _) => "This is a test.",
            _ => "",
        }, japanese);
        Sentence(s, (m.MsgType, japanese, easy) switch
        {
            (nameof(MsgType.Cancel), _, true) => "さっきの おしらせは まちがいでした。",
            (nameof(MsgType.Cancel), true, _) => "先ほどのお知らせを取り消します。",
            (nameof(MsgType.Cancel), false, _) => "The earlier message is cancelled.",
            (nameof(MsgType.Update), true, _) => "続報です。",
            (nameof(MsgType.Update), false, _) => "This is an update.",
            _ => "",
        }, japanese);
        Sentence(s, StripMarkers(m.Headline), japanese);
        if (!string.IsNullOrWhiteSpace(m.AreaName) && japanese && !easy)
        {
            Sentence(s, $"対象は、{m.AreaName}です", japanese);
        }

        Sentence(s, StripDrillSentence(m.Body), japanese);
        Sentence(s, m.Instruction ?? "", japanese);
        var text = s.ToString();
        return easy ? KanaReading(text) : text;
    }

    /// <summary>
    /// やさしい日本語 is read from its kana: a word written with its reading — 避難（ひなん）, 避難(ひなん) — is spoken by the
    /// reading alone, so the listener hears 「ひなん」 once, as the reader sees it.
    /// </summary>
    public static string KanaReading(string text) => Ruby().Replace(text, m => m.Groups["kana"].Value);

    /// <summary>TwiML for a person: the message twice inside a keypad prompt, then goodbye.</summary>
    public static string ForPerson(string spoken, string language, VoiceChannelOptions options, Uri gatherAction)
    {
        var lang = TwilioLanguage(language);
        var japanese = lang == "ja-JP";
        var easy = language.Equals("ja-x-easy", StringComparison.OrdinalIgnoreCase);
        var response = new VoiceResponse();
        var gather = new Gather(input: [Gather.InputEnum.Dtmf], action: gatherAction, method: Twilio.Http.HttpMethod.Post, numDigits: 1,
            timeout: options.GatherTimeoutSeconds, actionOnEmptyResult: false);
        gather.Append(Say(spoken, lang, options));
        gather.Append(new Pause(length: 1));
        gather.Append(Say((japanese ? "繰り返します。" : "Once again. ") + spoken, lang, options));
        gather.Append(Say(easy ? "きいたら、 1 を おして ください。" : japanese ? "お知らせを受け取った方は、1 を押してください。" : "If you heard this message, press 1.",
            lang, options));
        response.Append(gather);
        response.Append(Say(japanese ? "以上です。" : "Goodbye.", lang, options));
        response.Hangup();
        return response.ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
    }

    /// <summary>TwiML for an answering machine: the message once, after the beep, then hang up.</summary>
    public static string ForMachine(string spoken, string language, VoiceChannelOptions options)
    {
        var lang = TwilioLanguage(language);
        var response = new VoiceResponse();
        response.Append(Say(spoken, lang, options));
        response.Hangup();
        return response.ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
    }

    /// <summary>TwiML after a key was pressed.</summary>
    public static string AfterKeypad(bool acknowledged, string language, VoiceChannelOptions options)
    {
        var lang = TwilioLanguage(language);
        var japanese = lang == "ja-JP";
        var response = new VoiceResponse();
        response.Append(Say(acknowledged
            ? japanese ? "受け取りを確認しました。ありがとうございました。" : "Thank you. Your reply has been recorded."
            : japanese ? "1 以外が押されました。以上です。" : "Goodbye.", lang, options));
        response.Hangup();
        return response.ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
    }

    /// <summary>TwiML for a call the hub no longer knows (the alert was withdrawn meanwhile): end it politely.</summary>
    public static string Nothing() => new VoiceResponse().Hangup().ToString(System.Xml.Linq.SaveOptions.DisableFormatting);

    private static Say Say(string text, string language, VoiceChannelOptions options) =>
        options.Voices.TryGetValue(language, out var voice) && !string.IsNullOrWhiteSpace(voice)
            ? new Say(text, voice: voice, language: language)
            : new Say(text, language: language);

    private static void Sentence(StringBuilder s, string text, bool japanese)
    {
        var t = Speakable(text);
        if (t.Length == 0)
        {
            return;
        }

        if (!japanese && s.Length > 0)
        {
            s.Append(' ');
        }

        s.Append(t);
        if (!t.EndsWith('。') && !t.EndsWith('.') && !t.EndsWith('!') && !t.EndsWith('?'))
        {
            s.Append(japanese ? "。" : ".");
        }
    }

    private static string StripMarkers(string headline) =>
        Markers().Replace(headline, "").Replace("[EXERCISE]", "", StringComparison.Ordinal).Replace("[TEST]", "", StringComparison.Ordinal)
            .Replace("[UPDATE]", "", StringComparison.Ordinal).Replace("[CANCELLED]", "", StringComparison.Ordinal)
            .Replace("[ALL CLEAR]", "All clear:", StringComparison.Ordinal).Trim();

    private static string StripDrillSentence(string body) => body
        .Replace("これは くんれん です。", "", StringComparison.Ordinal).Replace("これは訓練です。", "", StringComparison.Ordinal)
        .Replace("これは試験配信です。", "", StringComparison.Ordinal).Replace("This is a drill. ", "", StringComparison.Ordinal)
        .Replace("This is a test message. ", "", StringComparison.Ordinal);

    /// <summary>Symbols a voice would read out or trip over become pauses.</summary>
    private static string Speakable(string text) => text
        .Replace("【", "", StringComparison.Ordinal).Replace("】", "、", StringComparison.Ordinal)
        .Replace("「", "", StringComparison.Ordinal).Replace("」", "", StringComparison.Ordinal)
        .Replace("・", "、", StringComparison.Ordinal).Replace("～", "から", StringComparison.Ordinal)
        .Replace('\n', ' ').Replace('\r', ' ').Trim();

    // 【解除】 stays as words (「解除、」); the other markers are announced in full sentences instead.
    [GeneratedRegex("【(訓練|くんれん|試験|更新|取消)】")]
    private static partial Regex Markers();

    // A word in kanji followed by its reading in hiragana or katakana, in full- or half-width brackets.
    [GeneratedRegex(@"[\p{IsCJKUnifiedIdeographs}々〆ヶ]+[（(](?<kana>[\p{IsHiragana}\p{IsKatakana}ー]+)[）)]")]
    private static partial Regex Ruby();
}
