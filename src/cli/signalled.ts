/** How a long-running command (`watch`, `serve`, `status --watch`) learns it should end. */

/** Resolves with the signal's name on the first SIGINT or SIGTERM, and stops listening. */
export function signalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
