using Microsoft.AspNetCore.SignalR.Client;
using PushService.Protocol;

namespace PushService.Tests.Infrastructure;

/// <summary>Raw hub calls of the resume protocol, for tests that check the server's answers themselves.</summary>
internal static class HubSession
{
    /// <summary>
    /// Completes once the server has admitted the connection. A client's StartAsync returns with the
    /// handshake, before the server has entered the connection for delivery; hub calls run only
    /// after that, so one call that changes nothing (leaving a topic never joined) makes
    /// "connected" mean "receiving". Plain SignalR clients get no more (README, Guarantees); the
    /// SDKs resume right after connecting instead.
    /// </summary>
    public static Task AdmittedAsync(this HubConnection connection)
        => connection.InvokeAsync(HubProtocolNames.Unsubscribe, "admitted").DefaultTimeout();

    public static Task<StreamPositionMessage> SubscribeAtAsync(this OfficialClient client, string topic)
        => client.Connection.InvokeAsync<StreamPositionMessage>(HubProtocolNames.Subscribe, topic).DefaultTimeout();

    public static Task<ResumeResultMessage> ResumeAsync(this OfficialClient client, params StreamPositionMessage[] positions)
        => client.Connection.InvokeAsync<ResumeResultMessage>(HubProtocolNames.Resume, positions).DefaultTimeout();

    public static Task<HistoryPageMessage> HistoryAsync(this OfficialClient client, string stream, long? before, int limit)
        => client.Connection.InvokeAsync<HistoryPageMessage>(HubProtocolNames.History, stream, before, limit).DefaultTimeout();

    public static StreamPositionMessage At(string stream, long offset, string epoch) => new() { Stream = stream, Offset = offset, Epoch = epoch };

    public static StreamRecoveryMessage For(this ResumeResultMessage result, string stream)
        => result.Streams.Single(s => s.Stream == stream);
}
