using System.Text.RegularExpressions;
using PushService.Tests.Deploy;

namespace PushService.Tests.Security;

/// <summary>
/// The nginx config we ship must not write subscriber tokens (<c>?access_token=</c>) to its access
/// log: its own format logs paths only, and it overrides the http-level log (whose default format,
/// "combined", logs the full request line).
/// </summary>
public sealed partial class LogScrubbingNginxConfigTests
{
    // Variables that hold the query string: the request line, the URI as sent, the arguments.
    private static readonly string[] QueryVariables = ["$request", "$request_uri", "$args", "$query_string", "$arg_access_token", "$is_args"];

    [Fact]
    public void EveryAccessLogUsesAFormatOfPathsOnly()
    {
        var config = WithoutComments(DeployFiles.NginxConfig);
        var formats = LogFormat().Matches(config).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["body"].Value);
        var accessLogs = AccessLog().Matches(config).ToList();

        Assert.NotEmpty(accessLogs);
        foreach (var accessLog in accessLogs)
        {
            var format = accessLog.Groups["format"].Value;
            Assert.True(accessLog.Groups["path"].Value == "off" || format.Length > 0,
                $"'{accessLog.Value.Trim()}' uses nginx's default format, which logs the query string");
            if (format.Length > 0)
            {
                Assert.True(formats.TryGetValue(format, out var body), $"log_format '{format}' is not defined in the shipped config");
                foreach (var variable in QueryVariables)
                {
                    Assert.False(Regex.IsMatch(body, Regex.Escape(variable) + @"(?![A-Za-z0-9_])"), $"log_format '{format}' logs {variable}, which carries ?access_token=");
                }
                Assert.Contains("$uri", body, StringComparison.Ordinal);
            }
        }
        // The server block sets its own log, so an http-level "combined" log does not apply to it.
        Assert.Matches(@"server\s*\{[^}]*access_log", config);
    }

    private static string WithoutComments(string config) => string.Join('\n', config.Split('\n').Select(l => l.Split('#')[0]));

    [GeneratedRegex(@"log_format\s+(?<name>\S+)\s+(?<body>(?:'[^']*'\s*)+);")]
    private static partial Regex LogFormat();

    [GeneratedRegex(@"access_log\s+(?<path>[^\s;]+)(?:\s+(?<format>[^\s;=]+))?[^;]*;")]
    private static partial Regex AccessLog();
}
