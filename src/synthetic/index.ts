export { fillSynthetic, readColumnFacts, syntheticDataNote, type FillResult } from './fill.js';
export { isBookkeepingTable } from './bookkeeping.js';
export { readTypeFacts, type TypeFacts, type TypeMap } from './types.js';
export { syntheticDataSql, tableFillSql, type ColumnFacts, type FillMode, type TableFill } from './plan.js';
export { fillOrder, foreignKeys, type ForeignKey } from './order.js';
