namespace PushService.Configuration;

/// <summary>The <c>Push</c> configuration section: engine selection and node identity.</summary>
public sealed class PushOptions
{
    public const string SectionName = "Push";

    /// <summary>
    /// A StackExchange.Redis connection string. Empty (the default) runs one node in memory;
    /// set, the node joins the others that share this Redis through the SignalR backplane.
    /// </summary>
    public string Redis { get; set; } = "";

    /// <summary>Prefix of every Redis key and channel this service uses. Default <c>push</c>.</summary>
    public string RedisPrefix { get; set; } = "push";

    /// <summary>Names this node in logs and Redis client names. Default: the machine name and a random suffix.</summary>
    public string NodeId { get; set; } = "";

    public bool UsesRedis => !string.IsNullOrWhiteSpace(Redis);
}
