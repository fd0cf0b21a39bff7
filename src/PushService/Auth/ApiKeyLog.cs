namespace PushService.Auth;

/// <summary>
/// Publisher-key log events, ids 1650–1659. They name a key by its configured name, never by
/// the key or anything derived from it.
/// </summary>
internal static partial class ApiKeyLog
{
    [LoggerMessage(1650, LogLevel.Warning, "A request to {Path} carried an API key in its query string ({Parameter}) and was refused; treat that key as exposed.")]
    public static partial void QueryStringKeyRefused(ILogger logger, string path, string parameter);

    [LoggerMessage(1651, LogLevel.Information, "A request with an unknown API key was refused.")]
    public static partial void UnknownKey(ILogger logger);

    [LoggerMessage(1652, LogLevel.Information, "Key {KeyName} asked to publish outside its scope ({Fields}); refused.")]
    public static partial void PublishOutOfScope(ILogger logger, string keyName, string fields);

    [LoggerMessage(1653, LogLevel.Information, "Key {KeyName} may not {Action}; refused.")]
    public static partial void ReadOutOfScope(ILogger logger, string keyName, string action);
}
