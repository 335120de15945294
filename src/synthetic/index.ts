export { fillSynthetic, readColumnFacts, type FillResult } from './fill.js';
export { syntheticDataSql, tableFillSql, type ColumnFacts, type FillMode, type TableFill } from './plan.js';
export { fillOrder, foreignKeys, type ForeignKey } from './order.js';
