using System.Buffers;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using PushService.Delivery;

namespace PushService.Auth;

/// <summary>
/// Whether a subscriber may join (and read) a topic: the token's <c>topics</c> claim
/// (<see cref="TopicPolicy"/>), or a server-side rule in <c>Push:Topics</c>. Topic names are exact:
/// no case folding or normalisation anywhere, so <c>News</c> and <c>news</c> are two topics.
/// </summary>
internal sealed class TopicAccess(IOptions<TopicsOptions> options)
{
    // No ':' or '/' — the separators a per-user wildcard pattern must use after {sub} — so that
    // user "bob" cannot reach into "bob:x"'s topics through "inbox:{sub}:*".
    private static readonly SearchValues<char> SubjectChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-");

    private readonly TopicsOptions _rules = options.Value;

    public bool CanSubscribe(ClaimsPrincipal? user, string topic)
    {
        if (user is null)
        {
            return false;
        }
        if (TopicPolicy.CanSubscribe(user, topic))
        {
            return true;
        }
        foreach (var grant in _rules.Public)
        {
            if (TopicPolicy.Covers(grant, topic))
            {
                return true;
            }
        }
        return _rules.PerUser.Count > 0
            && user.FindFirst(AuthPolicies.SubjectClaim)?.Value is { } subject
            && IsSubstitutable(subject)
            && _rules.PerUser.Any(pattern => TopicPolicy.Covers(pattern.Replace(TopicsOptions.SubjectPlaceholder, subject, StringComparison.Ordinal), topic));
    }

    /// <summary>A topic name, or one followed by <c>*</c>, or <c>*</c> alone (every topic).</summary>
    public static bool IsValidGrant(string? grant)
        => grant == "*" || NameRules.IsValidTopic(grant is [.. var head, '*'] ? head : grant);

    /// <summary>Why a <c>PerUser</c> pattern cannot be used, or null.</summary>
    public static string? PerUserPatternProblem(string? pattern)
    {
        pattern ??= "";
        var at = pattern.IndexOf(TopicsOptions.SubjectPlaceholder, StringComparison.Ordinal);
        if (at < 0 || pattern.IndexOf(TopicsOptions.SubjectPlaceholder, at + 1, StringComparison.Ordinal) >= 0)
        {
            return $"must contain {TopicsOptions.SubjectPlaceholder} exactly once";
        }
        if (!IsValidGrant(pattern.Replace(TopicsOptions.SubjectPlaceholder, "x", StringComparison.Ordinal)))
        {
            return $"must be a topic name with {TopicsOptions.SubjectPlaceholder} in it ({NameRules.TopicRule}), optionally ending in '*'";
        }
        var after = pattern[(at + TopicsOptions.SubjectPlaceholder.Length)..];
        if (pattern.EndsWith('*') && after is not [':' or '/', ..])
        {
            return $"ends in '*', so {TopicsOptions.SubjectPlaceholder} must be followed by ':' or '/' (else user 'bob' would match user 'bobby''s topics)";
        }
        return null;
    }

    private static bool IsSubstitutable(string subject)
        => subject.Length is > 0 and <= NameRules.MaxTopicLength && !subject.AsSpan().ContainsAnyExcept(SubjectChars);
}
