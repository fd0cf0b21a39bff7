namespace PushService.Client;

/// <summary>
/// A <see cref="PushClient.ReadAllAsync"/> enumeration fell too far behind: its buffer of
/// <see cref="PushClientOptions.ReadBufferCapacity"/> notifications was full, so rather than lose
/// notifications silently or stall the connection, the enumeration ends with this exception after
/// the buffered notifications have been read.
/// </summary>
public sealed class PushClientOverflowException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PushClientOverflowException"/> class.</summary>
    /// <param name="capacity">The buffer capacity that was exceeded.</param>
    public PushClientOverflowException(int capacity)
        : base($"The reader fell behind by more than {capacity} notifications and was stopped. Read faster, or raise PushClientOptions.ReadBufferCapacity.")
    {
        Capacity = capacity;
    }

    /// <summary>Gets the buffer capacity that was exceeded.</summary>
    public int Capacity { get; }
}
