// The ES module entry: `import { parse, parseFile } from 'kohi-onshi'`. index.js builds its
// exports at run time (each function wrapped by `checked`), which Node's detection of CommonJS
// named exports cannot see, so the names are listed here; test/esm.test.mjs fails when this list
// and index.js differ.
import { createRequire } from 'node:module'

const kohi = createRequire(import.meta.url)('./index.js')

export const {
  ArchiveEntry,
  KohiResult,
  Patient,
  PatientStream,
  WatchEvent,
  Watcher,
  checkNumber,
  parse,
  parseFile,
  reconcile,
  stream,
  survey,
  surveyFiles,
  version,
  watch,
  writeRequest,
} = kohi
export default kohi
