using System.Security.Cryptography;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Delivery.Channels.Email;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;
using MimeKit;

namespace AlertHub.Benchmarks;

/// <summary>
/// <c>email [messages]</c>: CPU per alert e-mail on one thread, for what the e-mail channel does for each resident
/// before the SMTP round trips: building the message (text, headers, the signed unsubscribe link) and writing it as
/// MailKit does (once to measure it for SIZE, once in DATA). Read with the whole-city run, where e-mail is the last
/// channel to finish.
/// </summary>
internal static class EmailMessageBenchmark
{
    public static int Run(string[] args)
    {
        var messages = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
        var builder = new EmailMessageBuilder(Options.Create(new EmailChannelOptions { FromAddress = "bousai@city.yokote.example" }),
            Options.Create(new HubOptions { PublicBaseUrl = "https://alerthub.city.yokote.example" }),
            new EmailLinkSigner(RandomNumberGenerator.GetBytes(32)), TimeProvider.System);
        var text = new RenderedMessage("a-20261207-0001", 1, "Alert", "Actual", "Severe", "Immediate", "洪水",
            "ja", "【避難指示】横手川の水位が上昇しています", "横手川の水位が氾濫危険水位に達しました。直ちに安全な場所へ避難してください。",
            "近くの指定避難所へ避難してください。夜間で移動が危険な場合は、建物の2階以上へ。", "横手市 横手地域",
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(6));
        var items = Enumerable.Range(0, 256)
            .Select(i => new DeliveryItem(i, $"{text.AlertId}:1:{Guid.NewGuid()}:email", Guid.NewGuid(), $"resident{i}@mail.example.jp", null, text))
            .ToArray();
        var smtp = FormatOptions.Default.Clone();
        smtp.NewLineFormat = NewLineFormat.Dos;

        // Twice: the first round runs while the JIT is still recompiling MimeKit at tier 1 (it ships without precompiled code),
        // as in a hub's first fan-out; the second is the steady state.
        for (var round = 1; round <= 2; round++)
        {
            Console.WriteLine($"-- round {round}");
            MeasureSteps(builder, items, smtp, messages);
        }

        return 0;
    }

    private static void MeasureSteps(EmailMessageBuilder builder, DeliveryItem[] items, FormatOptions smtp, int messages)
    {
        // What the channel and MailKit do per resident: build the message, write it once to measure it (the server
        // advertises SIZE) and once more in DATA. Split into steps, the GC's share moved between them from run to run.
        CpuPerCall.Measure("build, measure, write", messages, i =>
        {
            var message = builder.BuildAlert(items[i % items.Length], i);
            message.WriteTo(smtp, Stream.Null);
            message.WriteTo(smtp, Stream.Null);
        }, warmUp: 2_000);
    }
}
