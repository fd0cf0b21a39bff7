/**
 * Keeps positions in `localStorage` (browsers) under one key, so that a reloaded page resumes
 * where it left off: what was published while it was closed is handed over once each.
 * Use one key per signed-in user. Falls back to keeping nothing where `localStorage` is absent.
 */
export function localStoragePositions(key = "pushservice.positions") {
    const store = globalThis.localStorage;
    return {
        load: () => {
            const text = store?.getItem(key);
            if (!text)
                return undefined;
            try {
                return JSON.parse(text);
            }
            catch {
                return undefined; // A corrupt entry means "no position": the client starts afresh.
            }
        },
        save: (positions) => store?.setItem(key, JSON.stringify(positions)),
    };
}
/** Keeps positions in memory only: they survive reconnects and `stop()`/`start()`, not a restart. */
export function memoryPositions(initial) {
    let current = { ...initial };
    return {
        get current() {
            return current;
        },
        load: () => current,
        save: (positions) => {
            current = { ...positions };
        },
    };
}
