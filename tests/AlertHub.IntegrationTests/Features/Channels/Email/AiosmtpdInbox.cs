using System.Diagnostics;
using System.Text.Json.Nodes;
using AlertHub.Tests.Shared;
using MimeKit;

namespace AlertHub.IntegrationTests.Features.Channels.Email;

internal sealed record InboxMessage(string File, string[] Recipients, byte[] Raw, MimeMessage Message);

/// <summary>
/// Debian's python3-aiosmtpd on 127.0.0.1 running aiosmtpd_inbox.py: an independent SMTP server that saves each
/// message as .eml and answers 550 / 451 for chosen recipients. The process ends when its stdin closes.
/// </summary>
internal sealed class AiosmtpdInbox : IAsyncDisposable
{
    private readonly Process _process;

    private AiosmtpdInbox(Process process, string folder, int port)
    {
        _process = process;
        Folder = folder;
        Port = port;
    }

    public string Folder { get; }

    public int Port { get; }

    public static async Task<AiosmtpdInbox> StartAsync(string[]? reject = null, (string Address, int Times)[]? tempfail = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "alerthub-tests", "inbox-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var script = Path.Combine(Tools.RepoRoot.FullName, "tests", "AlertHub.IntegrationTests", "Features", "Channels", "Email", "aiosmtpd_inbox.py");
        var start = new ProcessStartInfo(Tools.SystemPython)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("--dir");
        start.ArgumentList.Add(folder);
        foreach (var address in reject ?? [])
        {
            start.ArgumentList.Add("--reject");
            start.ArgumentList.Add(address);
        }

        foreach (var (address, times) in tempfail ?? [])
        {
            start.ArgumentList.Add("--tempfail");
            start.ArgumentList.Add($"{address}={times}");
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15));
        if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal))
        {
            var error = await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(5));
            process.Kill();
            throw new InvalidOperationException($"aiosmtpd_inbox.py did not start: {line} {error}");
        }

        return new AiosmtpdInbox(process, folder, int.Parse(line[5..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public Dictionary<string, string?> HubSettings(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Channels:Email:Enabled"] = "true",
            ["Channels:Email:Host"] = "127.0.0.1",
            ["Channels:Email:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Channels:Email:Security"] = "None",
            ["Channels:Email:FromAddress"] = "anzen@city.yokote.test",
            ["Hub:PublicBaseUrl"] = "https://bousai.city.yokote.test/",
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        return settings;
    }

    public IReadOnlyList<InboxMessage> Messages()
    {
        var path = Path.Combine(Folder, "envelopes.jsonl");
        if (!File.Exists(path))
        {
            return [];
        }

        var list = new List<InboxMessage>();
        foreach (var line in File.ReadAllLines(path).Where(l => l.Length > 0))
        {
            var json = JsonNode.Parse(line)!;
            var file = json["file"]!.GetValue<string>();
            var raw = File.ReadAllBytes(Path.Combine(Folder, file));
            list.Add(new InboxMessage(file, [.. json["rcpt_tos"]!.AsArray().Select(r => r!.GetValue<string>())], raw, MimeMessage.Load(new MemoryStream(raw))));
        }

        return list;
    }

    /// <summary>Every RCPT the server answered, in order: (address, reply code).</summary>
    public IReadOnlyList<(string Rcpt, int Reply)> RcptLog()
    {
        var path = Path.Combine(Folder, "rcpt.jsonl");
        return File.Exists(path)
            ? [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!).Select(j => (j["rcpt"]!.GetValue<string>(), j["reply"]!.GetValue<int>()))]
            : [];
    }

    public async Task<IReadOnlyList<InboxMessage>> WaitForAsync(Func<IReadOnlyList<InboxMessage>, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var messages = Messages();
            if (condition(messages))
            {
                return messages;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"inbox: condition not met within {timeout}; {messages.Count} messages: {string.Join(", ", messages.Select(m => m.Message.Subject))}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
