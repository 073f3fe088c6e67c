// A classic script, so it runs even from file:// where browsers refuse the page's module script and its
// worker: say so in the report instead of leaving a page that silently does nothing.
if (location.protocol === 'file:') {
  document.addEventListener('DOMContentLoaded', () => {
    const report = document.getElementById('report');
    if (report) {
      report.className = 'fail';
      report.textContent =
        'sge-inject: this page does not work from file:// (browsers refuse module workers and wasm there)\n' +
        '  → serve it over http: `npx sge-inject web`, or any static file server on this folder';
    }
    for (const b of document.querySelectorAll('button, input')) b.disabled = true;
  });
}
