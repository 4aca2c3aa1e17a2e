import { customType } from "drizzle-orm/pg-core";

/**
 * A jsonb column that reads back exactly what was written. drizzle's own `jsonb` JSON.parse()s every
 * string the driver hands it, but `pg` and `@neondatabase/serverless` have already parsed the jsonb: a
 * stored JSON string that looks like JSON (`"123"`, `"null"`, `"{\"a\":1}"`) came back as 123, null or
 * an object. Here the driver's value is taken as it is.
 */
export const exactJsonb = customType<{ data: unknown; driverData: unknown }>({
  dataType: () => "jsonb",
  toDriver: (value) => JSON.stringify(value),
});
