using System.Security.Claims;

namespace PushService.Auth;

/// <summary>
/// Decides whether a subscriber may join a topic, from the token's <c>topics</c> claim: an exact
/// name, or a pattern ending in <c>*</c> that covers every topic starting with what precedes it.
/// </summary>
internal static class TopicPolicy
{
    public static bool CanSubscribe(ClaimsPrincipal? user, string topic)
    {
        if (user is null)
        {
            return false;
        }
        foreach (var claim in user.FindAll(AuthPolicies.TopicsClaim))
        {
            if (Covers(claim.Value, topic))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether one grant (a name or a <c>prefix*</c> pattern) covers a topic — or, for key scopes, a type. Case-sensitive.</summary>
    public static bool Covers(string grant, string topic)
    {
        if (grant.Length > 0 && grant[^1] == '*')
        {
            return topic.AsSpan().StartsWith(grant.AsSpan(0, grant.Length - 1), StringComparison.Ordinal);
        }
        return string.Equals(grant, topic, StringComparison.Ordinal);
    }
}
