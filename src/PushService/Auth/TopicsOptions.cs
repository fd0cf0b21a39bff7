using Microsoft.Extensions.Options;
using PushService.Delivery;

namespace PushService.Auth;

/// <summary>
/// The <c>Push:Topics</c> section: topics a subscriber may join because the server says so, beside
/// the token's <c>topics</c> claim. Entries are topic names or <c>prefix*</c> patterns, compared
/// case-sensitively like every topic name.
/// </summary>
public sealed class TopicsOptions
{
    public const string SectionName = "Push:Topics";

    /// <summary>The <c>{sub}</c> placeholder of <see cref="PerUser"/> entries.</summary>
    public const string SubjectPlaceholder = "{sub}";

    /// <summary>Topics (names or <c>prefix*</c> patterns) every signed-in subscriber may join. Default: none.</summary>
    public List<string> Public { get; set; } = [];

    /// <summary>
    /// Topics each subscriber may join with their own token <c>sub</c> put in for <c>{sub}</c>, e.g.
    /// <c>user-feed:{sub}</c> or <c>inbox:{sub}:*</c>. Only a <c>sub</c> made of
    /// <c>A-Z a-z 0-9 . _ @ -</c> is put in, so it can never end one user's part of a name and begin
    /// another's. Default: none.
    /// </summary>
    public List<string> PerUser { get; set; } = [];
}

internal sealed class TopicsOptionsValidator : IValidateOptions<TopicsOptions>
{
    public ValidateOptionsResult Validate(string? name, TopicsOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Public.Count; i++)
        {
            if (!TopicAccess.IsValidGrant(options.Public[i]))
            {
                failures.Add($"Push:Topics:Public:{i} ('{options.Public[i]}') must be a topic name ({NameRules.TopicRule}), optionally ending in '*'.");
            }
        }
        for (var i = 0; i < options.PerUser.Count; i++)
        {
            if (TopicAccess.PerUserPatternProblem(options.PerUser[i]) is { } problem)
            {
                failures.Add($"Push:Topics:PerUser:{i} ('{options.PerUser[i]}') {problem}.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
