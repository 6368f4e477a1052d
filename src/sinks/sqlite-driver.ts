import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);
const major = Number(process.versions.node.split('.')[0]);

/**
 * better-sqlite3, in the build that is safe on this Node. 12.x subclasses node::ObjectWrap, whose
 * destructor aborts the process on Node 24.19+ when a statement is collected outside a JS context
 * (at exit or by an idle GC): 13.x (Node-API, prebuilt) fixes that but does not run on Node 20.
 * So Node 22 and later load 13.x (installed under the alias better-sqlite3-napi), Node 20 loads 12.x.
 */
const Database: typeof BetterSqlite3 = major >= 22 ? require('better-sqlite3-napi') : require('better-sqlite3');
type Database = BetterSqlite3.Database;
export default Database;
export type Statement = BetterSqlite3.Statement;
