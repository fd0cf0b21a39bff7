using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Extensions.Options;
using PushService.Protocol;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>
/// Which subscriber tokens open the hub: signed with the configured key and algorithm only, within
/// their lifetime, with a subject, for this service's issuer and audience.
/// </summary>
public sealed class TokensValidationTests
{
    private const string Issuer = "https://login.example.test";
    private const string Audience = "push";

    /// <summary>A token for this service's issuer and audience, as <paramref name="change"/> leaves it.</summary>
    private static string Token(Action<SecurityTokenDescriptor>? change = null) => TestTokens.Build("tess", d =>
    {
        d.Issuer = Issuer;
        d.Audience = Audience;
        change?.Invoke(d);
    });

    public static TheoryData<string, string> RefusedTokens => new()
    {
        { "unsigned (alg none)", Token(TestTokens.WithoutSignature) },
        { "signed with another key", Token(TestTokens.SignedWithAnotherKey) },
        { "no sub", Token(TestTokens.WithoutSubject) },
        { "an empty sub", Token(d => d.Subject = new ClaimsIdentity([new Claim("sub", "")])) },
        { "expired a minute ago (beyond the 30 s skew)", Token(d => { d.NotBefore = DateTime.UtcNow.AddHours(-1); d.Expires = DateTime.UtcNow.AddMinutes(-1); }) },
        { "not valid for another five minutes", Token(d => d.NotBefore = DateTime.UtcNow.AddMinutes(5)) },
        { "no exp", Token(d => d.Expires = null) },
        { "another issuer", Token(d => d.Issuer = "https://evil.example.test") },
        { "another audience", Token(d => d.Audience = "another-api") },
    };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task TheHubRefusesWith401(string what, string token)
    {
        await using var node = await PushNode.StartAsync(Settings(issuer: Issuer, audience: Audience));

        Assert.True(await NegotiateAsync(node, token) == HttpStatusCode.Unauthorized, $"a token {what} was accepted");
        Assert.Equal(HttpStatusCode.OK, await NegotiateAsync(node, Token()));
    }

    [Fact]
    public async Task WithoutIssuerAndAudienceConfiguredAnyAreAcceptedAndAWarningIsLogged()
    {
        using var logs = new LogCapture();
        await using var node = await PushNode.StartAsync(Settings(), configure: logs.AddTo);

        Assert.Equal(HttpStatusCode.OK, await NegotiateAsync(node, Token(d => { d.Issuer = "anyone"; d.Audience = "anything"; })));
        Assert.Contains(logs.Entries, e => e.EventId.Id == 1660 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 1661 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    [Fact]
    public async Task ClockSkewIsConfigurable()
    {
        // Expired ten seconds ago: inside the default 30 s skew, outside a skew of zero.
        var token = Token(d => { d.NotBefore = DateTime.UtcNow.AddHours(-1); d.Expires = DateTime.UtcNow.AddSeconds(-10); });
        await using (var lenient = await PushNode.StartAsync(Settings()))
        {
            Assert.Equal(HttpStatusCode.OK, await NegotiateAsync(lenient, token));
        }
        var strict = Settings();
        strict["Push:Jwt:ClockSkew"] = "00:00:00";
        await using var node = await PushNode.StartAsync(strict);
        Assert.Equal(HttpStatusCode.Unauthorized, await NegotiateAsync(node, token));
    }

    public static TheoryData<string, string, string> BadJwtSettings => new()
    {
        { "Push:Jwt:ClockSkew", "00:01:00", "Push:Jwt:ClockSkew" },
        { "Push:Jwt:ClockSkew", "-00:00:01", "Push:Jwt:ClockSkew" },
        { "Push:Jwt:Authority", "http://login.example.test/", "Push:Jwt:Authority must be an absolute https URL" },
        { "Push:Jwt:Algorithms:0", "RS256", "Push:Jwt:Algorithms" },
    };

    [Theory]
    [MemberData(nameof(BadJwtSettings))]
    public async Task UnsafeSettingsFailStartNamingThem(string key, string value, string message)
    {
        var settings = Settings();
        settings[key] = value;
        if (key == "Push:Jwt:Authority")
        {
            settings.Remove("Push:Jwt:SigningKey");
            settings["Push:Jwt:Audience"] = Audience;
        }

        var failure = Assert.IsType<OptionsValidationException>(await PushNode.StartFailureAsync(settings));
        Assert.Contains(failure.Failures, f => f.Contains(message, StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string> BadAuthoritySettings => new()
    {
        { "Push:Jwt:Audience", "", "Push:Jwt:Audience is required" },
        { "Push:Jwt:Algorithms:0", "HS256", "Push:Jwt:Algorithms: 'HS256' is not allowed" },
        { "Push:Jwt:Algorithms:0", "none", "Push:Jwt:Algorithms: 'none' is not allowed" },
        { "Push:Jwt:SigningKey", PushNode.SigningKey, "both set" },
    };

    [Theory]
    [MemberData(nameof(BadAuthoritySettings))]
    public async Task AnAuthorityNeedsAnAudienceAndAsymmetricAlgorithms(string key, string value, string message)
    {
        var settings = AuthoritySettings(new Uri("https://login.example.test/"));
        settings[key] = value;

        var failure = Assert.IsType<OptionsValidationException>(await PushNode.StartFailureAsync(settings));
        Assert.Contains(failure.Failures, f => f.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAuthoritysRs256TokensOpenTheHubAndNothingElseDoes()
    {
        await using var issuer = await TokensTestIssuer.StartAsync();
        await using var node = await PushNode.StartAsync(AuthoritySettings(issuer.Url));

        Assert.Equal(HttpStatusCode.OK, await NegotiateAsync(node, issuer.Sign("uma", Audience)));
        await using (var client = await OfficialClient.ConnectAsync(node, issuer.Sign("uma", Audience)))
        {
            Assert.NotNull(client.Connection.ConnectionId);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await NegotiateAsync(node, issuer.Sign("uma", "another-api")));
        Assert.Equal(HttpStatusCode.Unauthorized, await NegotiateAsync(node, issuer.Sign("uma", Audience, issuer: "https://evil.example.test")));
        // Key confusion: the RSA key's public modulus used as an HMAC secret, and no signature at all.
        var publicBytes = issuer.Key.Rsa.ExportParameters(false).Modulus!;
        Assert.Equal(HttpStatusCode.Unauthorized, await NegotiateAsync(node, Token(d =>
        {
            d.Issuer = issuer.Issuer;
            d.SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(publicBytes), SecurityAlgorithms.HmacSha256);
        })));
        Assert.Equal(HttpStatusCode.Unauthorized, await NegotiateAsync(node, Token(d => { d.Issuer = issuer.Issuer; TestTokens.WithoutSignature(d); })));
    }

    [Fact]
    public async Task AnAuthoritysAlgorithmsCanBeNarrowed()
    {
        await using var issuer = await TokensTestIssuer.StartAsync();
        var settings = AuthoritySettings(issuer.Url);
        settings["Push:Jwt:Algorithms:0"] = "RS512";
        await using var node = await PushNode.StartAsync(settings);

        Assert.Equal(HttpStatusCode.Unauthorized, await NegotiateAsync(node, issuer.Sign("uma", Audience)));
        Assert.Equal(HttpStatusCode.OK, await NegotiateAsync(node, issuer.Sign("uma", Audience, SecurityAlgorithms.RsaSha512)));
    }

    private static Dictionary<string, string?> Settings(string? issuer = null, string? audience = null)
    {
        var settings = PushNode.DefaultSettings();
        if (issuer is not null && audience is not null)
        {
            settings["Push:Jwt:Issuer"] = issuer;
            settings["Push:Jwt:Audience"] = audience;
        }
        return settings;
    }

    private static Dictionary<string, string?> AuthoritySettings(Uri authority)
    {
        var settings = PushNode.DefaultSettings();
        settings.Remove("Push:Jwt:SigningKey");
        settings["Push:Jwt:Authority"] = authority.ToString();
        settings["Push:Jwt:Audience"] = Audience;
        return settings;
    }

    private static async Task<HttpStatusCode> NegotiateAsync(PushNode node, string token)
    {
        using var http = new HttpClient { BaseAddress = node.Url };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{HubProtocolNames.HubPath}/negotiate?negotiateVersion=1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request).DefaultTimeout();
        return response.StatusCode;
    }
}
