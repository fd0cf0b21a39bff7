using MessagePack;
using MessagePack.Formatters;

namespace PushService.Protocol;

// MessagePack forms of the stream messages: maps keyed like their JSON forms, unknown keys
// skipped on read. Hand-written for the same reasons as NotificationMessageFormatter.

internal sealed class StreamPositionMessageFormatter : IMessagePackFormatter<StreamPositionMessage?>
{
    public void Serialize(ref MessagePackWriter writer, StreamPositionMessage? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteMapHeader(3);
        writer.Write("stream");
        writer.Write(value.Stream);
        writer.Write("offset");
        writer.Write(value.Offset);
        writer.Write("epoch");
        writer.Write(value.Epoch);
    }

    public StreamPositionMessage? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        string? stream = null, epoch = null;
        long offset = 0;
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            switch (reader.ReadString())
            {
                case "stream": stream = NotificationMessageFormatter.ReadOptionalString(ref reader); break;
                case "offset": offset = reader.TryReadNil() ? 0 : reader.ReadInt64(); break;
                case "epoch": epoch = NotificationMessageFormatter.ReadOptionalString(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new StreamPositionMessage { Stream = stream ?? "", Offset = offset, Epoch = epoch ?? "" };
    }
}

internal sealed class StreamRecoveryMessageFormatter : IMessagePackFormatter<StreamRecoveryMessage?>
{
    public void Serialize(ref MessagePackWriter writer, StreamRecoveryMessage? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteMapHeader(value.Error is null ? 5 : 6);
        writer.Write("stream");
        writer.Write(value.Stream);
        writer.Write("recovered");
        writer.Write(value.Recovered);
        writer.Write("offset");
        writer.Write(value.Offset);
        writer.Write("epoch");
        writer.Write(value.Epoch);
        writer.Write("notifications");
        NotificationList.Write(ref writer, value.Notifications, options);
        if (value.Error is not null)
        {
            writer.Write("error");
            writer.Write(value.Error);
        }
    }

    public StreamRecoveryMessage? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        string? stream = null, epoch = null, error = null;
        long offset = 0;
        var recovered = false;
        IReadOnlyList<NotificationMessage> notifications = [];
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            switch (reader.ReadString())
            {
                case "stream": stream = NotificationMessageFormatter.ReadOptionalString(ref reader); break;
                case "recovered": recovered = reader.ReadBoolean(); break;
                case "offset": offset = reader.ReadInt64(); break;
                case "epoch": epoch = NotificationMessageFormatter.ReadOptionalString(ref reader); break;
                case "notifications": notifications = NotificationList.Read(ref reader, options); break;
                case "error": error = NotificationMessageFormatter.ReadOptionalString(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new StreamRecoveryMessage { Stream = stream ?? "", Recovered = recovered, Offset = offset, Epoch = epoch ?? "", Notifications = notifications, Error = error };
    }
}

internal sealed class ResumeResultMessageFormatter : IMessagePackFormatter<ResumeResultMessage?>
{
    private static readonly StreamRecoveryMessageFormatter Stream = new();

    public void Serialize(ref MessagePackWriter writer, ResumeResultMessage? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteMapHeader(2);
        writer.Write("user");
        writer.Write(value.User);
        writer.Write("streams");
        writer.WriteArrayHeader(value.Streams.Count);
        foreach (var stream in value.Streams)
        {
            Stream.Serialize(ref writer, stream, options);
        }
    }

    public ResumeResultMessage? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        string? user = null;
        var streams = new List<StreamRecoveryMessage>();
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            switch (reader.ReadString())
            {
                case "user": user = NotificationMessageFormatter.ReadOptionalString(ref reader); break;
                case "streams":
                    var items = reader.ReadArrayHeader();
                    for (var j = 0; j < items; j++)
                    {
                        streams.Add(Stream.Deserialize(ref reader, options)!);
                    }
                    break;
                default: reader.Skip(); break;
            }
        }
        return new ResumeResultMessage { User = user ?? "", Streams = streams };
    }
}

internal sealed class HistoryPageMessageFormatter : IMessagePackFormatter<HistoryPageMessage?>
{
    public void Serialize(ref MessagePackWriter writer, HistoryPageMessage? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteMapHeader(4);
        writer.Write("stream");
        writer.Write(value.Stream);
        writer.Write("offset");
        writer.Write(value.Offset);
        writer.Write("epoch");
        writer.Write(value.Epoch);
        writer.Write("notifications");
        NotificationList.Write(ref writer, value.Notifications, options);
    }

    public HistoryPageMessage? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        string? stream = null, epoch = null;
        long offset = 0;
        IReadOnlyList<NotificationMessage> notifications = [];
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            switch (reader.ReadString())
            {
                case "stream": stream = NotificationMessageFormatter.ReadOptionalString(ref reader); break;
                case "offset": offset = reader.ReadInt64(); break;
                case "epoch": epoch = NotificationMessageFormatter.ReadOptionalString(ref reader); break;
                case "notifications": notifications = NotificationList.Read(ref reader, options); break;
                default: reader.Skip(); break;
            }
        }
        return new HistoryPageMessage { Stream = stream ?? "", Offset = offset, Epoch = epoch ?? "", Notifications = notifications };
    }
}

internal static class NotificationList
{
    private static readonly NotificationMessageFormatter Item = new();

    public static void Write(ref MessagePackWriter writer, IReadOnlyList<NotificationMessage> items, MessagePackSerializerOptions options)
    {
        writer.WriteArrayHeader(items.Count);
        foreach (var item in items)
        {
            Item.Serialize(ref writer, item, options);
        }
    }

    public static List<NotificationMessage> Read(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var count = reader.ReadArrayHeader();
        var items = new List<NotificationMessage>(count);
        for (var i = 0; i < count; i++)
        {
            items.Add(Item.Deserialize(ref reader, options)!);
        }
        return items;
    }
}
