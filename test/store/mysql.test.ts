/** The bot store suite on the local MariaDB: separate master and cluster databases, created and dropped here. */
import { botStoreSuite } from "./bot-store-suite.ts";
import { mysqlTarget } from "./stores.ts";

botStoreSuite(mysqlTarget("suite"));
