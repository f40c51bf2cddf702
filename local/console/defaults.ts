/** The local console's default port (npm start; --port-console, --no-console). A module of its own: the CLI needs it before the console is loaded. */
export const DEFAULT_CONSOLE_PORT = 4570;
