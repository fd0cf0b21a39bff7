// The official SignalR browser build (signalr.min.js, a UMD script that sets self.signalR) as an
// ES module, so that the page's import map can resolve "@microsoft/signalr" to it.
import "./signalr.min.js";

const signalR = self.signalR;
export default signalR;
export const {
  AbortError, DefaultHttpClient, HttpClient, HttpError, HttpTransportType, HubConnection, HubConnectionBuilder,
  HubConnectionState, JsonHubProtocol, LogLevel, MessageType, NullLogger, Subject, TimeoutError, TransferFormat, VERSION,
} = signalR;
