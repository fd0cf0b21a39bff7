using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Cluster;

/// <summary>
/// A subscriber on the official JavaScript client (<c>@microsoft/signalr</c>), run by node as a
/// process of its own: <c>tests/js-client/receive.js</c> with one transport, a token and an
/// affinity cookie. Each JSON line it prints is kept in <see cref="Events"/>; it exits by itself
/// after <c>count</c> notifications or its timeout, and disposing kills it (by its PID) if it still runs.
/// </summary>
public sealed class JsClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Inbox<string> _errors = new();

    private JsClient(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public static string ScriptDirectory => Path.Combine(RepositoryPaths.Root, "tests", "js-client");

    public string Name { get; }

    /// <summary>Every stdout line, parsed: <c>{"event":"connected"|"subscribed"|"notification"|"done", …}</c>.</summary>
    public Inbox<JsonObject> Events { get; } = new();

    /// <summary>The notifications received, in order.</summary>
    public IReadOnlyList<JsonObject> Notifications => [.. Events.Items.Where(e => Event(e) == "notification").Select(e => e["notification"]!.AsObject())];

    /// <summary>The process's exit code once it exited, else null.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Starts the script and returns once it connected and subscribed to its topics.</summary>
    public static async Task<JsClient> StartAsync(
        string name, Uri url, HttpTransportType transport, string token, string? affinity, IReadOnlyList<string> topics, int count, TimeSpan timeout)
    {
        var script = Path.Combine(ScriptDirectory, "receive.js");
        if (!Directory.Exists(Path.Combine(ScriptDirectory, "node_modules", "@microsoft", "signalr")))
        {
            throw new InvalidOperationException(
                $"The JavaScript client is not installed in {ScriptDirectory}. Run the README test command (./test.sh), which installs it, or 'npm ci --prefix tests/js-client'.");
        }
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = ScriptDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (var (option, value) in Arguments(new Uri(url, "hubs/notifications"), transport, token, affinity, topics, count, timeout))
        {
            start.ArgumentList.Add(option);
            start.ArgumentList.Add(value);
        }
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var client = new JsClient(name, process);
        process.OutputDataReceived += (_, e) => client.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                client._errors.Add(e.Data);
            }
        };
        process.Exited += (_, _) => client._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var ready = topics.Count == 0
                ? client.Events.WaitForAsync(e => Event(e) == "connected")
                : client.Events.WaitForAsync(e => Event(e) == "subscribed" && (string?)e["topic"] == topics[^1]);
            if (await Task.WhenAny(ready, client._exited.Task) != ready)
            {
                throw new InvalidOperationException($"{name} exited before it was ready.{Environment.NewLine}{client.Tail()}");
            }
            await ready;
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits for the script to exit by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _exited.Task.DefaultTimeout();
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Its stderr and last stdout lines, for failure messages.</summary>
    public string Tail(int lines = 20)
    {
        var events = Events.Items;
        return $"--- js client {Name} ({(_process.HasExited ? $"exit code {_process.ExitCode}" : $"pid {_process.Id}")}) stderr ---{Environment.NewLine}"
            + string.Join(Environment.NewLine, _errors.Items) + Environment.NewLine
            + $"--- last {Math.Min(lines, events.Count)} of {events.Count} stdout lines ---{Environment.NewLine}"
            + string.Join(Environment.NewLine, events.Skip(Math.Max(0, events.Count - lines)).Select(e => e.ToJsonString()));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // SIGKILL to this process only.
                _process.Kill(entireProcessTree: false);
            }
            await _exited.Task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (InvalidOperationException)
        {
            // It never started.
        }
        _process.Dispose();
    }

    private static IEnumerable<(string Option, string Value)> Arguments(
        Uri hub, HttpTransportType transport, string token, string? affinity, IReadOnlyList<string> topics, int count, TimeSpan timeout)
    {
        yield return ("--url", hub.ToString());
        yield return ("--transport", transport.ToString());
        yield return ("--token", token);
        if (affinity is not null)
        {
            yield return ("--affinity", affinity);
        }
        foreach (var topic in topics)
        {
            yield return ("--topic", topic);
        }
        yield return ("--count", count.ToString(CultureInfo.InvariantCulture));
        yield return ("--timeout", ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
    }

    private static string? Event(JsonObject line) => (string?)line["event"];

    private void OnLine(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }
        try
        {
            if (JsonNode.Parse(line) is JsonObject json)
            {
                Events.Add(json);
                return;
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not one of ours: kept with stderr.
        }
        _errors.Add("[stdout] " + line);
    }
}
