using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PushService.Bench;

/// <summary>
/// The hidden <c>bare-server</c> verb: the fan-out ceiling of SignalR itself on this machine. One
/// process, the in-memory lifetime manager (no Redis), no history, no auth: a POST is one
/// <c>Clients.All.SendAsync</c> of a message shaped like PushService's notification.
/// </summary>
internal static class BareServer
{
    public const string Verb = "bare-server";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var url = args.Count >= 2 && args[0] == "--url" ? args[1] : "http://127.0.0.1:5099";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(url);
        builder.Services.AddSignalR().AddMessagePackProtocol();
        var app = builder.Build();
        app.UseWebSockets();
        app.MapHub<BareHub>("/hubs/notifications");
        app.MapGet("/ready", () => Results.Ok());
        long offset = 0;
        app.MapPost("/api/v1/notifications", async (HttpRequest request, IHubContext<BareHub> hub) =>
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            var root = body.RootElement;
            var message = new Dictionary<string, object?>
            {
                ["id"] = Guid.CreateVersion7().ToString(),
                ["type"] = root.TryGetProperty("type", out var type) ? type.GetString() : "bench",
                ["data"] = root.TryGetProperty("data", out var data) ? Plain(data) : null,
                ["createdAt"] = DateTime.UtcNow,
                ["stream"] = "broadcast",
                ["offset"] = Interlocked.Increment(ref offset),
                ["epoch"] = "bare",
                ["broadcast"] = true,
            };
            await hub.Clients.All.SendAsync("notification", message);
            return Results.Accepted();
        });
        await app.RunAsync();
        return 0;
    }

    /// <summary>JSON data as plain values, which MessagePack writes natively (as the service does).</summary>
    private static object? Plain(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => value.EnumerateObject().ToDictionary(p => p.Name, p => Plain(p.Value)),
        JsonValueKind.Array => value.EnumerateArray().Select(Plain).ToArray(),
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.TryGetInt64(out var l) ? (object)l : value.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}

/// <summary>Subscribe is accepted and does nothing: every connection gets every broadcast.</summary>
internal sealed class BareHub : Hub
{
    public string Subscribe(string topic) => topic.Length > 0 ? Context.ConnectionId : "";
}
