using System.Security.Cryptography;
using System.Text.Json;

namespace PushService.History;

/// <summary>What both history engines must decide the same way.</summary>
internal static class HistoryRules
{
    private const string EpochAlphabet = "abcdefghijklmnopqrstuvwxyz234567";
    private static readonly JsonElement Null = JsonElement.Parse("null");

    /// <summary>
    /// A fresh epoch: 8 base32 characters (40 random bits), so that a stream which lost its
    /// history practically never comes back with an epoch a client still holds.
    /// </summary>
    public static string NewEpoch() => RandomNumberGenerator.GetString(EpochAlphabet, 8);

    /// <summary>Entries older than Ttl are never served, whether or not the engine still holds them.</summary>
    public static bool IsExpired(HistoryEntry entry, DateTime now, TimeSpan ttl) => now - entry.CreatedAt >= ttl;

    /// <summary>Absent data is kept as JSON null, so that every engine can store and return it.</summary>
    public static HistoryEntry Normalized(HistoryEntry entry)
        => entry.Data.ValueKind == JsonValueKind.Undefined ? entry with { Data = Null } : entry;
}
