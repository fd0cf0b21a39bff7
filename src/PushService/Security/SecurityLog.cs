namespace PushService.Security;

/// <summary>Security log events for subscribers and browsers, ids 1660–1699 (1650–1659: publisher keys).</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(1660, LogLevel.Warning, "Push:Jwt:Issuer is not set: subscriber tokens are accepted from any issuer that holds the signing key. Set it (and Push:Jwt:Audience) so a token minted for another service cannot open this one.")]
    public static partial void IssuerNotChecked(ILogger logger);

    [LoggerMessage(1661, LogLevel.Warning, "Push:Jwt:Audience is not set: subscriber tokens for any audience are accepted. Set it so a token minted for another service cannot open this one.")]
    public static partial void AudienceNotChecked(ILogger logger);

    [LoggerMessage(1662, LogLevel.Warning, "Push:AllowedOrigins allows any origin ('*'): a page on any web site can connect to the hub with a token it holds.")]
    public static partial void AnyOriginAllowed(ILogger logger);

    [LoggerMessage(1663, LogLevel.Information, "Refused a hub request from origin {Origin}: not in Push:AllowedOrigins.")]
    public static partial void OriginRefused(ILogger logger, string origin);
}
