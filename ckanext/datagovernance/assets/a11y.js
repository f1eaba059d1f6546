/* Names for form controls that plugins draw without one (WCAG 4.1.2):
   select2's own combobox and scheming's repeated text inputs get the label
   of the field they belong to. Runs after CKAN's modules have set up. */
(function () {
  function labelOf(id) {
    var label = id && document.querySelector('label[for="' + id + '"]');
    return label ? label.innerText.replace(/\s*\*\s*$/, '').trim() : '';
  }
  function name() {
    document.querySelectorAll('.select2-container').forEach(function (box) {
      var field = box.previousElementSibling;
      while (field && !field.id) field = field.previousElementSibling;
      var text = field && labelOf(field.id);
      if (!text) {  // the label of the form group the widget sits in
        var group = box.closest('.form-group, .control-group, .mb-3');
        var label = group && group.querySelector('label');
        text = label ? label.innerText.replace(/\s*\*\s*$/, '').trim() : '';
      }
      if (!text) return;
      box.querySelectorAll('.select2-selection, .select2-search__field').forEach(function (el) {
        // select2 names its combobox by the shown value: nothing chosen yet
        // (a new form), that name is empty and would win over aria-label
        var by = el.getAttribute('aria-labelledby');
        var named = by && document.getElementById(by);
        if (by && !(named && named.textContent.trim())) el.removeAttribute('aria-labelledby');
        if (!el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) el.setAttribute('aria-label', text);
      });
      // its rendered value is a textbox, nameless while nothing is chosen
      box.querySelectorAll('.select2-selection__rendered[role=textbox]').forEach(function (el) {
        if (!el.getAttribute('aria-label')) el.setAttribute('aria-label', text);
      });
    });
    document.querySelectorAll('fieldset.scheming-fieldset').forEach(function (set) {
      var text = labelOf('field-' + set.getAttribute('name'));
      set.querySelectorAll('input[type=text]:not([aria-label])').forEach(function (input) {
        if (text) input.setAttribute('aria-label', text);
      });
    });
  }
  // select2 draws its widgets when CKAN's modules start (and again later):
  // name them as soon as they appear, and every added text field
  window.addEventListener('load', name);
  new MutationObserver(function (changes) {
    for (var i = 0; i < changes.length; i++) {
      if (changes[i].addedNodes.length) { name(); return; }
    }
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
