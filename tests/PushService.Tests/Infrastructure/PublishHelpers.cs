using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace PushService.Tests.Infrastructure;

public static class PublishHelpers
{
    /// <summary>Publishes and asserts 202; returns the notification id.</summary>
    public static async Task<string> PublishAsync(this HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/notifications", body).DefaultTimeout();
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {text}");
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Posts raw content and returns the status and the parsed problem (or body).</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body, string? ContentType)> PostRawAsync(this HttpClient client, string path, HttpContent content)
    {
        using var response = await client.PostAsync(path, content).DefaultTimeout();
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, body, response.Content.Headers.ContentType?.MediaType);
    }

    public static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
