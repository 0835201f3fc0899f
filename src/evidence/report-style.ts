/** The HTML report's stylesheet, inlined so the report opens from a file with no network. */
export const REPORT_CSS = `
:root { --pass: #1a7f37; --fail: #cf222e; --error: #bc4c00; --skipped: #6e7781; --line: #d0d7de; --soft: #f6f8fa; --text: #1f2328; --muted: #59636e; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); }
h1 { font-size: 22px; margin: 0 0 12px; display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h4 { margin: 8px 0 4px; font-size: 12px; text-transform: uppercase; color: var(--muted); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
.badge { display: inline-block; min-width: 52px; text-align: center; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.outcome-pass { background: var(--pass); } .badge.outcome-fail { background: var(--fail); }
.badge.outcome-error { background: var(--error); } .badge.outcome-skipped { background: var(--skipped); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; }
.facts ul { margin: 2px 0; padding-left: 18px; }
.warning { border: 1px solid var(--error); background: #fff8f2; padding: 8px 12px; border-radius: 6px; margin: 12px 0; }
.counts { display: flex; gap: 12px; flex-wrap: wrap; }
.count { border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px; min-width: 110px; }
.count b { display: block; font-size: 22px; }
.count.outcome-fail b { color: var(--fail); } .count.outcome-error b { color: var(--error); } .count.outcome-pass b { color: var(--pass); }
.attention li { margin: 4px 0; }
table.matrix { border-collapse: collapse; } .matrix th, .matrix td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; }
.matrix th { background: var(--soft); }
section.scenario { border: 1px solid var(--line); border-left: 5px solid var(--skipped); border-radius: 6px; margin: 10px 0; }
section.scenario.outcome-pass { border-left-color: var(--pass); } section.scenario.outcome-fail { border-left-color: var(--fail); background: #fffafa; }
section.scenario.outcome-error { border-left-color: var(--error); background: #fffcf8; }
section.scenario > details > summary { padding: 8px 12px; cursor: pointer; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.scenario-body { padding: 0 12px 12px; }
.set { color: var(--muted); } .title { color: var(--muted); } .duration { margin-left: auto; color: var(--muted); }
.verdict { font-weight: 600; margin: 4px 0 8px; white-space: pre-wrap; }
.verdict.outcome-fail { color: var(--fail); } .verdict.outcome-error { color: var(--error); }
.meta { color: var(--muted); font-size: 13px; margin: 0 0 8px; }
ol.steps { list-style: none; margin: 0; padding: 0; }
li.step { border-top: 1px solid var(--line); padding: 6px 0; }
.step-head { display: grid; grid-template-columns: 64px minmax(120px, max-content) 1fr 90px 170px; gap: 10px; align-items: baseline; }
.step-head .at, .step-head .took { color: var(--muted); text-align: right; font-variant-numeric: tabular-nums; }
.kind { color: var(--muted); font-size: 12px; }
.bar { position: relative; height: 6px; background: var(--soft); border-radius: 3px; margin: 4px 0 2px 74px; }
.bar span { position: absolute; top: 0; bottom: 0; min-width: 2px; border-radius: 3px; background: var(--skipped); }
li.step.outcome-pass .bar span { background: var(--pass); } li.step.outcome-fail .bar span { background: var(--fail); } li.step.outcome-error .bar span { background: var(--error); }
.reason { margin: 4px 0 4px 74px; white-space: pre-wrap; }
li.step.outcome-fail .reason { color: var(--fail); } li.step.outcome-error .reason { color: var(--error); }
details.exchange { margin-left: 74px; } details.exchange > summary { cursor: pointer; color: var(--muted); }
details.frame { margin: 2px 0 2px 12px; } details.frame > summary { cursor: pointer; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; }
details.frame.upstream > summary .arrow { color: #8250df; } details.frame.downstream > summary .arrow { color: #0969da; }
.frame-body { margin: 4px 0 8px 20px; padding: 6px 10px; background: var(--soft); border-radius: 6px; }
pre.hex { margin: 0; overflow-x: auto; }
.log { margin: 2px 0 2px 12px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; white-space: pre-wrap; }
.log.level-warn .level { color: var(--error); } .log.level-error .level { color: var(--fail); font-weight: 600; } .log.level-debug { color: var(--muted); }
time { color: var(--muted); font-variant-numeric: tabular-nums; }
ul.tree { list-style: none; margin: 0; padding-left: 16px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; }
ul.tree.root { padding-left: 0; }
.key { color: #953800; } .value-string { color: #0a3069; } .value-number, .value-boolean, .value-null { color: #0550ae; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
`;
