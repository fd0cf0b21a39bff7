using System.Globalization;
using System.Text.RegularExpressions;
using PushService.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace PushService.Tests.Deploy;

/// <summary>Reads the files of <c>deploy/</c> the way the tools that run them would, without the tools.</summary>
internal static partial class DeployFiles
{
    public static string Directory { get; } = Path.Combine(RepositoryPaths.Root, "deploy");

    public static string PathOf(params string[] parts) => Path.Combine([Directory, .. parts]);

    /// <summary>Every YAML document of a file, with anchors and merge keys (<c>&lt;&lt;</c>) resolved as Compose resolves them.</summary>
    public static IReadOnlyList<YamlNode> LoadYaml(string path)
    {
        var text = File.ReadAllText(path);
        var parser = new MergingParser(new Parser(new StringReader(text)));
        var deserializer = new DeserializerBuilder().Build();
        var name = Path.GetRelativePath(Directory, path);
        var documents = new List<YamlNode>();
        parser.Consume<StreamStart>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(new YamlNode(deserializer.Deserialize<object?>(parser), $"{name}#{documents.Count}"));
        }
        return documents;
    }

    public static YamlNode Compose => LoadYaml(PathOf("docker-compose.yml")).Single();

    /// <summary>The Kubernetes objects of deploy/kubernetes (examples included), each with the file it came from.</summary>
    public static IReadOnlyList<YamlNode> KubernetesObjects() =>
        System.IO.Directory.GetFiles(PathOf("kubernetes"), "*.yaml")
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .Order(StringComparer.Ordinal)
            .SelectMany(LoadYaml)
            .Where(d => d.Value is not null)
            .ToList();

    public static YamlNode KubernetesObject(string kind, string? name = null) =>
        KubernetesObjects().Single(o => o["kind"].String == kind && (name is null || o["metadata"]["name"].String == name));

    /// <summary>Compose services built from deploy/Dockerfile: the PushService nodes.</summary>
    public static IReadOnlyList<KeyValuePair<string, YamlNode>> ComposeNodes(YamlNode compose) =>
        compose["services"].Entries
            .Where(s => s.Value.Has("build") && s.Value["build"]["dockerfile"].String == "deploy/Dockerfile")
            .ToList();

    /// <summary>A Compose <c>environment</c> (a mapping or a list of KEY=VALUE) as a dictionary.</summary>
    public static Dictionary<string, string?> ComposeEnvironment(YamlNode service)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (!service.Has("environment"))
        {
            return result;
        }
        var environment = service["environment"];
        if (environment.IsSequence)
        {
            foreach (var item in environment.Items)
            {
                var text = item.String;
                var equals = text.IndexOf('=', StringComparison.Ordinal);
                result[equals < 0 ? text : text[..equals]] = equals < 0 ? null : text[(equals + 1)..];
            }
        }
        else
        {
            foreach (var (key, value) in environment.Entries)
            {
                result[key] = value.Value is null ? null : value.String;
            }
        }
        return result;
    }

    /// <summary>The lines of an env file; <paramref name="includeCommented"/> also reads <c># NAME=value</c> examples.</summary>
    public static IReadOnlyList<(string Name, string Value, bool Commented)> EnvFile(string path, bool includeCommented)
    {
        var result = new List<(string, string, bool)>();
        foreach (var line in File.ReadAllLines(path))
        {
            var match = EnvLine().Match(line);
            if (match.Success && (includeCommented || !match.Groups["comment"].Success))
            {
                result.Add((match.Groups["name"].Value, match.Groups["value"].Value, match.Groups["comment"].Success));
            }
        }
        return result;
    }

    /// <summary>Compose durations: "40s", "1m30s", "500ms".</summary>
    public static TimeSpan ComposeDuration(string text)
    {
        var parts = ComposeDurationPart().Matches(text);
        Assert.True(parts.Count > 0 && string.Concat(parts.Select(p => p.Value)) == text, $"'{text}' is not a Compose duration");
        return parts.Aggregate(TimeSpan.Zero, (sum, part) =>
        {
            var n = double.Parse(part.Groups["n"].Value, CultureInfo.InvariantCulture);
            return sum + part.Groups["unit"].Value switch
            {
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "s" => TimeSpan.FromSeconds(n),
                "ms" => TimeSpan.FromMilliseconds(n),
                _ => TimeSpan.FromMicroseconds(n),
            };
        });
    }

    /// <summary>nginx sizes: "4m", "512k", "1g", "1024".</summary>
    public static long NginxSize(string text)
    {
        var match = NginxSizePattern().Match(text);
        Assert.True(match.Success, $"'{text}' is not an nginx size");
        var n = long.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        return match.Groups["unit"].Value.ToUpperInvariant() switch
        {
            "K" => n * 1024,
            "M" => n * 1024 * 1024,
            "G" => n * 1024 * 1024 * 1024,
            _ => n,
        };
    }

    public static string NginxConfig => File.ReadAllText(PathOf("nginx", "pushservice.conf"));

    /// <summary>The <c>server host:port</c> lines of the nginx config's upstream block.</summary>
    public static IReadOnlyList<(string Host, int Port)> NginxUpstreamServers(string config) =>
        NginxUpstreamServer().Matches(config)
            .Select(m => (m.Groups["host"].Value, int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture)))
            .ToList();

    public static IReadOnlyList<int> NginxListenPorts(string config) =>
        NginxListen().Matches(config).Select(m => int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture)).ToList();

    [GeneratedRegex(@"^(?<comment>#[ \t]*)?(?<name>[A-Za-z_][A-Za-z0-9_]*)=(?<value>.*)$")]
    private static partial Regex EnvLine();

    [GeneratedRegex(@"(?<n>\d+(\.\d+)?)(?<unit>h|ms|us|m|s)")]
    private static partial Regex ComposeDurationPart();

    [GeneratedRegex(@"^(?<n>\d+)(?<unit>[kKmMgG]?)$")]
    private static partial Regex NginxSizePattern();

    // The same lines that deploy/local/cluster.sh and docker-compose.yml's awk replace.
    [GeneratedRegex(@"^[ \t]*server[ \t]+(?<host>[^\s;:]+):(?<port>\d+)[^;\n]*;", RegexOptions.Multiline)]
    private static partial Regex NginxUpstreamServer();

    [GeneratedRegex(@"^[ \t]*listen[ \t]+(?:[^\s;:]+:)?(?<port>\d+)\b", RegexOptions.Multiline)]
    private static partial Regex NginxListen();
}

/// <summary>A node of a YAML document (mappings, sequences and string scalars), addressed by path for readable failures.</summary>
internal sealed class YamlNode(object? value, string path)
{
    public object? Value { get; } = value;

    public string Path { get; } = path;

    public bool IsSequence => Value is List<object?>;

    public bool Has(string key) => Value is Dictionary<object, object?> map && map.ContainsKey(key);

    public YamlNode this[string key]
    {
        get
        {
            var map = Value as Dictionary<object, object?> ?? throw new Xunit.Sdk.XunitException($"{Path} is not a mapping");
            return map.TryGetValue(key, out var child)
                ? new YamlNode(child, $"{Path}.{key}")
                : throw new Xunit.Sdk.XunitException($"{Path} has no '{key}'");
        }
    }

    public YamlNode? Find(string key) => Has(key) ? this[key] : null;

    public string String => Value as string ?? throw new Xunit.Sdk.XunitException($"{Path} is not a scalar");

    public int Int => int.TryParse(String, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
        ? n
        : throw new Xunit.Sdk.XunitException($"{Path} is not an integer: '{String}'");

    public IEnumerable<YamlNode> Items => (Value as List<object?> ?? throw new Xunit.Sdk.XunitException($"{Path} is not a sequence"))
        .Select((item, i) => new YamlNode(item, $"{Path}[{i}]"));

    public IEnumerable<KeyValuePair<string, YamlNode>> Entries => (Value as Dictionary<object, object?> ?? throw new Xunit.Sdk.XunitException($"{Path} is not a mapping"))
        .Select(e => KeyValuePair.Create((string)e.Key, new YamlNode(e.Value, $"{Path}.{e.Key}")));

    public override string ToString() => Path;
}

/// <summary>A Dockerfile as instructions grouped by stage: continuation lines joined, comments dropped.</summary>
internal sealed record DockerfileInstruction(string Keyword, string Arguments, int Stage);

internal static partial class Dockerfile
{
    public static IReadOnlyList<DockerfileInstruction> Parse(string text)
    {
        var result = new List<DockerfileInstruction>();
        var stage = -1;
        var pending = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (pending.Length == 0 && (line.TrimStart().StartsWith('#') || string.IsNullOrWhiteSpace(line)))
            {
                continue;
            }
            if (pending.Length > 0 && line.TrimStart().StartsWith('#'))
            {
                continue;
            }
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }
            var instruction = (pending + line).Trim();
            pending = "";
            var space = instruction.IndexOfAny([' ', '\t']);
            var keyword = (space < 0 ? instruction : instruction[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : Whitespace().Replace(instruction[(space + 1)..].Trim(), " ");
            if (keyword == "FROM")
            {
                stage++;
            }
            result.Add(new DockerfileInstruction(keyword, arguments, stage));
        }
        return result;
    }

    /// <summary>The variables an ENV instruction sets (KEY=VALUE pairs, or the legacy "KEY VALUE").</summary>
    public static IEnumerable<KeyValuePair<string, string>> EnvVariables(DockerfileInstruction env)
    {
        var pairs = EnvPair().Matches(env.Arguments);
        if (pairs.Count == 0)
        {
            var space = env.Arguments.IndexOf(' ', StringComparison.Ordinal);
            yield return KeyValuePair.Create(env.Arguments[..space], env.Arguments[(space + 1)..]);
            yield break;
        }
        foreach (Match pair in pairs)
        {
            yield return KeyValuePair.Create(pair.Groups["name"].Value, pair.Groups["value"].Value.Trim('"'));
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"(?<name>[A-Za-z_][A-Za-z0-9_]*)=(?<value>""[^""]*""|\S*)")]
    private static partial Regex EnvPair();
}
