using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PushService.Bench;

/// <summary>
/// The hidden <c>bare-server</c> verb: the ceilings of ASP.NET Core and SignalR themselves on this
/// machine. One process, the in-memory lifetime manager (no Redis), no history, no auth: a POST is
/// one <c>Clients.User(u).SendAsync</c> per user named, or else one <c>Clients.All.SendAsync</c>, of
/// a message shaped like PushService's notification. A connection's user is its token's subject,
/// read without validation.
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
        builder.Services.AddSingleton<IUserIdProvider, UnvalidatedSubject>();
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
            if (root.TryGetProperty("users", out var users))
            {
                foreach (var user in users.EnumerateArray())
                {
                    await hub.Clients.User(user.GetString()!).SendAsync("notification", message);
                }
            }
            else
            {
                await hub.Clients.All.SendAsync("notification", message);
            }
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

/// <summary>The <c>sub</c> of the <c>access_token</c> query parameter, unchecked: a bench fixture, never a service.</summary>
internal sealed class UnvalidatedSubject : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection)
    {
        var token = connection.GetHttpContext()?.Request.Query["access_token"].ToString();
        if (string.IsNullOrEmpty(token) || token.Split('.') is not [_, var payload, _])
        {
            return null;
        }
        var base64 = payload.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
        using var claims = JsonDocument.Parse(Convert.FromBase64String(base64));
        return claims.RootElement.TryGetProperty("sub", out var sub) ? sub.GetString() : null;
    }
}

/// <summary>Subscribe is accepted and does nothing: every connection gets every broadcast.</summary>
internal sealed class BareHub : Hub
{
    public string Subscribe(string topic) => topic.Length > 0 ? Context.ConnectionId : "";
}
