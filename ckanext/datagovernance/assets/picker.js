/* CKAN's autocomplete module, but a form shown again with a value (an edit
   form, a form with errors) shows the value's display name from
   data-module-text instead of the bare login name or slug. The submitted
   value stays the name the actions expect. */
this.ckan.module('datagovernance-picker', function (jQuery) {
  var base = ckan.module.registry.autocomplete.prototype;
  var own = {};
  for (var key in base) {
    if (key !== 'constructor') own[key] = base[key];
  }
  own.options = jQuery.extend({}, base.options, {text: ''});
  own.formatInitialValue = function (element, callback) {
    var value = jQuery.trim(element.val() || '');
    var formatted = value ? {id: value, text: String(this.options.text || value)} : null;
    if (typeof callback === 'function') callback(formatted);
    return formatted;
  };
  return own;
});
