using System.Collections;
using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using PushService.Auth;
using PushService.Configuration;
using PushService.History;
using PushService.Lifecycle;
using PushService.Presence;

namespace PushService.Tests.Deploy;

/// <summary>
/// Every setting the service binds, derived by reflection from its options classes and the
/// sections they are bound at, so that a renamed option or section fails the deploy tests.
/// Keys use ":" and "{n}" for a list index: <c>Push:ApiKeys:{n}:Key</c>.
/// </summary>
internal static class PushSettings
{
    public const string Index = "{n}";

    /// <summary>The options classes and their sections, as PushServiceExtensions and AddPushAuth bind them.</summary>
    public static IReadOnlyList<(Type Options, string Section)> BoundOptions { get; } =
    [
        (typeof(PushOptions), PushOptions.SectionName),
        (typeof(ApiKeyOptions), PushOptions.SectionName),
        (typeof(LimitsOptions), LimitsOptions.SectionName),
        (typeof(JwtOptions), JwtOptions.SectionName),
        (typeof(HistoryOptions), HistoryOptions.SectionName),
        (typeof(DrainOptions), DrainOptions.SectionName),
        (typeof(PresenceOptions), PresenceOptions.SectionName),
        (typeof(PushService.Security.OriginOptions), PushOptions.SectionName),
        (typeof(TopicsOptions), TopicsOptions.SectionName),
    ];

    /// <summary>Setting key to the type its value is converted to.</summary>
    public static IReadOnlyDictionary<string, Type> Keys { get; } = BuildKeys();

    /// <summary>The setting an environment variable sets (<c>Push__Drain__Timeout</c>), or null when none.</summary>
    public static (string Key, Type Type)? Find(string environmentVariable)
    {
        var segments = environmentVariable.Split("__");
        foreach (var (key, type) in Keys)
        {
            var pattern = key.Split(':');
            if (pattern.Length == segments.Length
                && pattern.Zip(segments).All(p => p.First == Index ? p.Second.Length > 0 && p.Second.All(char.IsAsciiDigit) : p.First == p.Second))
            {
                return (key, type);
            }
        }
        return null;
    }

    /// <summary>Why a value cannot be converted the way the configuration binder converts it, or null.</summary>
    public static string? ConversionError(Type type, string value)
    {
        if (value.Length == 0)
        {
            return null;
        }
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return null;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException || ex.InnerException is FormatException or OverflowException)
        {
            return $"'{value}' is not a valid {type.Name}";
        }
    }

    /// <summary>Environment variables (<c>Push__X__Y</c>) as configuration.</summary>
    public static IConfiguration ToConfiguration(IEnumerable<KeyValuePair<string, string?>> environment) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(environment.Select(e => KeyValuePair.Create(e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value)))
            .Build();

    /// <summary>Binds the non-secret options and runs the service's own validators on them.</summary>
    public static IReadOnlyList<string> ValidationFailures(IConfiguration configuration)
    {
        var failures = new List<string>();
        void Check<T>(string section, IValidateOptions<T> validator) where T : class, new()
        {
            var options = configuration.GetSection(section).Get<T>() ?? new T();
            var result = validator.Validate(Options.DefaultName, options);
            if (result.Failed)
            {
                failures.AddRange(result.Failures);
            }
        }
        Check(PushOptions.SectionName, new PushOptionsValidator());
        Check(LimitsOptions.SectionName, new LimitsOptionsValidator());
        Check(HistoryOptions.SectionName, new HistoryOptionsValidator());
        Check(DrainOptions.SectionName, new DrainOptionsValidator());
        Check(PushOptions.SectionName, new PushService.Security.OriginOptionsValidator());
        Check(TopicsOptions.SectionName, new TopicsOptionsValidator());
        return failures;
    }

    public static T Bind<T>(IConfiguration configuration, string section) where T : class, new() =>
        configuration.GetSection(section).Get<T>() ?? new T();

    private static Dictionary<string, Type> BuildKeys()
    {
        var keys = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var (options, section) in BoundOptions)
        {
            AddProperties(keys, section, options);
        }
        return keys;
    }

    private static void AddProperties(Dictionary<string, Type> keys, string prefix, Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var key = $"{prefix}:{property.Name}";
            var element = ElementType(property.PropertyType);
            if (element is not null)
            {
                AddValue(keys, $"{key}:{Index}", element);
            }
            else if (property.SetMethod is { IsPublic: true })
            {
                // Computed, get-only properties (PushOptions.UsesRedis) are not settings.
                AddValue(keys, key, property.PropertyType);
            }
        }
    }

    private static void AddValue(Dictionary<string, Type> keys, string key, Type type)
    {
        if (IsScalar(type))
        {
            keys.Add(key, Nullable.GetUnderlyingType(type) ?? type);
        }
        else if (type.IsClass && ElementType(type) is null)
        {
            AddProperties(keys, key, type);
        }
        else
        {
            throw new NotSupportedException($"{key}: settings of type {type} are not understood by the deploy tests; teach PushSettings about them.");
        }
    }

    private static bool IsScalar(Type type) =>
        type == typeof(string) || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));

    private static Type? ElementType(Type type)
    {
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }
        if (type.IsArray)
        {
            return type.GetElementType();
        }
        if (type.IsGenericType && type.GetGenericArguments() is [var element])
        {
            return element;
        }
        throw new NotSupportedException($"Collection settings of type {type} are not understood by the deploy tests; teach PushSettings about them.");
    }
}
