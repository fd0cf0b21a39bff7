// The official SignalR MessagePack protocol browser build as an ES module: the UMD script needs
// self.signalR first and adds self.signalR.protocols.msgpack.
import "./signalr.mjs";
import "./signalr-protocol-msgpack.min.js";

const msgpack = self.signalR.protocols.msgpack;
export default msgpack;
export const { MessagePackHubProtocol, VERSION } = msgpack;
