// The transcript's print button (no inline script: the pages' CSP forbids it).
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target && target.closest && target.closest('[data-action="print"]')) window.print();
});
