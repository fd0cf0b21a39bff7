using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using PushService.Configuration;
using PushService.Delivery;

namespace PushService.Publishing;

/// <summary>
/// Checks publish requests against docs/PROTOCOL.md §1 and turns them into
/// <see cref="Notification"/>s. Errors are keyed by the JSON path of the field at fault.
/// </summary>
internal sealed class PublishRequestValidator(IOptions<LimitsOptions> limits)
{
    /// <summary>
    /// How deep <c>data</c> may nest. The hub wraps it in up to six levels of its own (a Resume
    /// answer), and JSON parsers — the .NET SignalR client's among them — stop at 64: deeper data
    /// would be accepted here, then break the connection of every subscriber it reaches, and again
    /// each time they resume.
    /// </summary>
    public const int MaxDataDepth = 32;

    private static readonly JsonElement NullData = JsonDocument.Parse("null").RootElement;

    public sealed class Errors
    {
        private readonly Dictionary<string, List<string>> _byField = new(StringComparer.Ordinal);

        public bool Any => Count > 0;

        public int Count { get; private set; }

        /// <summary>True when the only trouble is size: the answer is then 413, not 400.</summary>
        public bool OnlyTooLarge { get; private set; } = true;

        public void Add(string field, string message, bool tooLarge = false)
        {
            Count++;
            OnlyTooLarge &= tooLarge;
            if (!_byField.TryGetValue(field, out var messages))
            {
                _byField[field] = messages = [];
            }
            messages.Add(message);
        }

        public Dictionary<string, string[]> ToDictionary() => _byField.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Validates one request; <paramref name="prefix"/> is the item's path in a batch (<c>[3].</c>).</summary>
    public Notification? Validate(PublishRequest? request, Errors errors, string prefix = "")
    {
        var options = limits.Value;
        if (request is null)
        {
            errors.Add(prefix.Length == 0 ? "$" : prefix.TrimEnd('.'), "A notification must be a JSON object.");
            return null;
        }
        var errorsBefore = errors.Count;

        if (string.IsNullOrEmpty(request.Type))
        {
            errors.Add(prefix + "type", "The type is required.");
        }
        else if (!NameRules.IsValidType(request.Type))
        {
            errors.Add(prefix + "type", $"The type must be {NameRules.TypeRule}.");
        }

        if (request.Id is not null && !NameRules.IsValidId(request.Id))
        {
            errors.Add(prefix + "id", $"The id must be {NameRules.IdRule}.");
        }

        var users = Distinct(request.Users, prefix + "users", options.MaxUsersPerNotification, NameRules.IsValidUserId, $"A user id must be {NameRules.UserIdRule}.", errors);
        var topics = Distinct(request.Topics, prefix + "topics", options.MaxTopicsPerNotification, NameRules.IsValidTopic, $"A topic must be {NameRules.TopicRule}.", errors);
        var broadcast = request.Broadcast == true;
        if (users.Count == 0 && topics.Count == 0 && !broadcast)
        {
            errors.Add(prefix.Length == 0 ? "$" : prefix.TrimEnd('.'), "At least one target is required: non-empty users or topics, or broadcast: true.");
        }

        var data = request.Data ?? NullData;
        var dataBytes = JsonMarshal.GetRawUtf8Value(data).Length;
        if (dataBytes > options.MaxDataBytes)
        {
            errors.Add(prefix + "data", $"The data is {dataBytes} bytes; at most {options.MaxDataBytes} are allowed.", tooLarge: true);
        }
        else if (DepthOf(data) > MaxDataDepth)
        {
            errors.Add(prefix + "data", $"The data is nested deeper than {MaxDataDepth} levels of arrays and objects.");
        }

        return errors.Count > errorsBefore ? null : new Notification(request.Id, request.Type!, users, topics, broadcast, data);
    }

    // The parser has already refused anything deeper than 64, so the recursion is shallow.
    private static int DepthOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => 1 + value.EnumerateObject().Select(p => DepthOf(p.Value)).DefaultIfEmpty(0).Max(),
        JsonValueKind.Array => 1 + value.EnumerateArray().Select(DepthOf).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    private static List<string> Distinct(List<string?>? values, string field, int max, Func<string?, bool> isValid, string rule, Errors errors)
    {
        if (values is null || values.Count == 0)
        {
            return [];
        }
        if (values.Count > max)
        {
            errors.Add(field, $"At most {max} entries are allowed; got {values.Count}.");
            return [];
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            var value = values[i];
            if (!isValid(value))
            {
                errors.Add($"{field}[{i}]", rule);
            }
            else if (seen.Add(value!))
            {
                result.Add(value!);
            }
        }
        return result;
    }
}
