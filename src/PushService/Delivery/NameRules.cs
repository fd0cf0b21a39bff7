using System.Buffers;

namespace PushService.Delivery;

/// <summary>The rules for names that cross the API (docs/PROTOCOL.md §3).</summary>
internal static class NameRules
{
    public const int MaxTopicLength = 200;
    public const int MaxUserIdLength = 200;
    public const int MaxTypeLength = 100;
    public const int MaxIdLength = 128;

    private static readonly SearchValues<char> TopicChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@/-");

    private static readonly SearchValues<char> TypeChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    public const string TopicRule = "1-200 characters of A-Z a-z 0-9 . _ : @ / -";
    public const string TypeRule = "1-100 characters of A-Z a-z 0-9 . _ : -";
    public const string IdRule = "1-128 characters of A-Z a-z 0-9 . _ : -";
    public const string UserIdRule = "1-200 characters, no control characters";

    public static bool IsValidTopic(string? topic) => IsMadeOf(topic, MaxTopicLength, TopicChars);

    public static bool IsValidType(string? type) => IsMadeOf(type, MaxTypeLength, TypeChars);

    public static bool IsValidId(string? id) => IsMadeOf(id, MaxIdLength, TypeChars);

    public static bool IsValidUserId(string? user)
        => !string.IsNullOrEmpty(user) && user.Length <= MaxUserIdLength && !user.AsSpan().ContainsAnyInRange('\0', '\u001f') && !user.Contains('\u007f', StringComparison.Ordinal);

    private static bool IsMadeOf(string? value, int maxLength, SearchValues<char> allowed)
        => !string.IsNullOrEmpty(value) && value.Length <= maxLength && !value.AsSpan().ContainsAnyExcept(allowed);
}
