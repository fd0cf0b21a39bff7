import { LogLevel } from "@microsoft/signalr";
const SELECTING_TRANSPORT = /^Selecting transport '(WebSockets|ServerSentEvents|LongPolling)'/;
/**
 * The logger handed to SignalR. SignalR says which transport it chose only in a debug message
 * ("Selecting transport 'X'."), and its minified browser build mangles the transport class
 * names, so this is the one reliable way to tell the app the transport in use. Everything is
 * passed on to the app's logger at the level it asked for.
 */
export class ClientLogger {
    constructor(logger) {
        if (logger !== undefined && typeof logger === "object") {
            this.inner = logger;
            this.minimum = LogLevel.Trace;
        }
        else {
            this.inner = consoleLogger;
            this.minimum = logger ?? LogLevel.Warning;
        }
    }
    log(level, message) {
        const selected = SELECTING_TRANSPORT.exec(message);
        if (selected)
            this.selectedTransport = selected[1];
        if (level >= this.minimum && level !== LogLevel.None)
            this.inner.log(level, message);
    }
}
const consoleLogger = {
    log(level, message) {
        const line = `[${new Date().toISOString()}] PushClient: ${message}`;
        if (level >= LogLevel.Error)
            console.error(line);
        else if (level === LogLevel.Warning)
            console.warn(line);
        else
            console.log(line);
    },
};
