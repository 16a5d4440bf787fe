// Types for asterisk-manager 0.2.0 (CommonJS, ships none; @types/asterisk-manager does not exist).
// Only what voipguard's code and tests touch; shapes observed in lib/ami.js (facts §5).
declare module 'asterisk-manager' {
  /** A parsed block: keys lowercased; a repeated key becomes an array of its values. */
  export type ManagerMessage = Record<string, string | string[] | Record<string, string>>;

  export interface Manager {
    readonly options: { port: number; host: string; username: string; password: string; events: boolean };
    connect(port: number, host: string, callback?: () => void): void;
    login(callback?: (err?: ManagerMessage) => void): void;
    action(action: Record<string, string>, callback?: (err: ManagerMessage | undefined, res: ManagerMessage) => void): string;
    keepConnected(): void;
    disconnect(callback?: () => void): void;
    isConnected(): boolean | undefined;
    connected(): boolean | undefined;
    on(event: string, listener: (...args: any[]) => void): this;
    once(event: string, listener: (...args: any[]) => void): this;
    removeListener(event: string, listener: (...args: any[]) => void): this;
    removeAllListeners(event?: string): this;
    listeners(event: string): Array<(...args: any[]) => void>;
  }

  /** Factory: works with or without `new`; connects at once when `port` is truthy, logs in when `username` is set. */
  function Manager(port?: number, host?: string, username?: string, password?: string, events?: boolean): Manager;
  export default Manager;
}
