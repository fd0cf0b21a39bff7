using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

internal static class SecurityHelpers
{
    /// <summary>What <c>printf %s "$KEY" | sha256sum</c> prints.</summary>
    public static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> SendAsync(this HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        var response = await client.SendAsync(request).DefaultTimeout();
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, json, response);
    }

    public static Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(this HttpClient client, string path, object body)
        => client.SendAsync(HttpMethod.Post, path, body);

    /// <summary>The ids stored for a user, read with a key that may read history.</summary>
    public static async Task<List<string>> StoredIdsAsync(this HttpClient reader, string user)
    {
        var (status, body, response) = await reader.SendAsync(HttpMethod.Get, $"/api/v1/users/{user}/notifications?limit=100");
        response.Dispose();
        Assert.True(status == HttpStatusCode.OK, $"History read answered {(int)status}: {body}");
        return [.. body.GetProperty("notifications").EnumerateArray().Select(n => n.GetProperty("id").GetString()!)];
    }

    /// <summary>The problem's <c>errors</c> field names.</summary>
    public static string[] ErrorFields(this JsonElement problem)
        => problem.TryGetProperty("errors", out var errors) ? [.. errors.EnumerateObject().Select(p => p.Name)] : [];

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}
