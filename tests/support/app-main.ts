// Runs the game server as its own process (what `rpsq app` does), for tests that kill it.
import { main } from '../../app/server.ts';

await main();
