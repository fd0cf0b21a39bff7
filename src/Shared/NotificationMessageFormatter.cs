using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;

namespace PushService.Protocol;

/// <summary>
/// The MessagePack form of <see cref="NotificationMessage"/>: a map with the same keys as the
/// JSON form, unset keys left out, unknown keys skipped on read so that later fields
/// do not break older clients. Written by hand because the dynamic
/// resolver only handles public types, and a hand-written formatter allocates nothing extra.
/// </summary>
internal sealed class NotificationMessageFormatter : IMessagePackFormatter<NotificationMessage?>
{
    private static readonly JsonElementMessagePackFormatter Data = new();

    public void Serialize(ref MessagePackWriter writer, NotificationMessage? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        var count = 7 + (value.User is null ? 0 : 1) + (value.Topic is null ? 0 : 1) + (value.Broadcast is null ? 0 : 1);
        writer.WriteMapHeader(count);
        writer.Write("id");
        writer.Write(value.Id);
        writer.Write("type");
        writer.Write(value.Type);
        writer.Write("data");
        Data.Serialize(ref writer, value.Data, options);
        writer.Write("createdAt");
        writer.Write(DateTime.SpecifyKind(value.CreatedAt, DateTimeKind.Utc));
        writer.Write("stream");
        writer.Write(value.Stream);
        writer.Write("offset");
        writer.Write(value.Offset);
        writer.Write("epoch");
        writer.Write(value.Epoch);
        if (value.User is not null)
        {
            writer.Write("user");
            writer.Write(value.User);
        }
        if (value.Topic is not null)
        {
            writer.Write("topic");
            writer.Write(value.Topic);
        }
        if (value.Broadcast is { } broadcast)
        {
            writer.Write("broadcast");
            writer.Write(broadcast);
        }
    }

    public NotificationMessage? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        string? id = null, type = null, user = null, topic = null, stream = null, epoch = null;
        long offset = 0;
        bool? broadcast = null;
        JsonElement data = default;
        DateTime createdAt = default;
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            switch (reader.ReadString())
            {
                case "id": id = reader.ReadString(); break;
                case "type": type = reader.ReadString(); break;
                case "data": data = Data.Deserialize(ref reader, options); break;
                case "createdAt": createdAt = reader.ReadDateTime(); break;
                case "user": user = ReadOptionalString(ref reader); break;
                case "topic": topic = ReadOptionalString(ref reader); break;
                case "broadcast": broadcast = reader.TryReadNil() ? null : reader.ReadBoolean(); break;
                case "stream": stream = ReadOptionalString(ref reader); break;
                case "offset": offset = reader.ReadInt64(); break;
                case "epoch": epoch = ReadOptionalString(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new NotificationMessage
        {
            Id = id ?? throw new MessagePackSerializationException("A notification has no id."),
            Type = type ?? throw new MessagePackSerializationException("A notification has no type."),
            Data = data,
            CreatedAt = createdAt,
            User = user,
            Topic = topic,
            Broadcast = broadcast,
            Stream = stream ?? "",
            Offset = offset,
            Epoch = epoch ?? "",
        };
    }

    internal static string? ReadOptionalString(ref MessagePackReader reader) => reader.TryReadNil() ? null : reader.ReadString();
}
