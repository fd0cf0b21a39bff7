import { within } from "./service.mjs";

/** Collects what a client hands over, and awaits items by predicate (no sleeps). */
export class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
  }

  add(item) {
    this.items.push(item);
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves with the first item matching, waiting for it if needed. */
  waitFor(predicate, what, ms = 20_000) {
    return within(new Promise((resolve) => {
      const check = () => {
        const found = this.items.find(predicate);
        if (found === undefined) return false;
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(found);
        return true;
      };
      if (!check()) this.waiters.push(check);
    }), ms, `${what} (got ${JSON.stringify(this.items.map(summary))})`);
  }

  /** Resolves once `count` items match. */
  waitForCount(predicate, count, what, ms = 20_000) {
    return within(new Promise((resolve) => {
      const check = () => {
        const found = this.items.filter(predicate);
        if (found.length < count) return false;
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(found);
        return true;
      };
      if (!check()) this.waiters.push(check);
    }), ms, `${count} × ${what} (got ${JSON.stringify(this.items.map(summary))})`);
  }
}

const summary = (item) => item && typeof item === "object" && "offset" in item
  ? `${item.stream}#${item.offset} ${item.type}`
  : item && typeof item === "object" && "state" in item ? `state ${item.state}${item.transport ? " " + item.transport : ""}`
  : item;
