/**
 * Which D-Bus address reaches which systemd manager.
 */

/** The system bus socket (systemd's system manager is `org.freedesktop.systemd1` on it). */
export const SYSTEM_BUS_ADDRESS = 'unix:path=/run/dbus/system_bus_socket';

/** How the command line or the API names a bus. */
export interface BusChoice {
  /** An explicit D-Bus address of a bus daemon (e.g. `unix:path=/proc/123/root/run/dbus/system_bus_socket`). */
  bus?: string;
  /** The user manager of `uid`: it is `org.freedesktop.systemd1` on that user's session bus. */
  user?: boolean;
  /** The uid whose user manager `user` means. */
  uid: number;
}

/**
 * The D-Bus address for a choice: an explicit `bus` wins; `user` → the user's
 * session bus `unix:path=/run/user/UID/bus`; otherwise the system bus.
 */
export function busAddressFor(choice: BusChoice): string {
  if (choice.bus) return choice.bus;
  if (choice.user) return `unix:path=/run/user/${choice.uid}/bus`;
  return SYSTEM_BUS_ADDRESS;
}
