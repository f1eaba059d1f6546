/* German transliteration for the dataset address preview: CKAN's slugify
 * maps unknown letters to "-" or drops their diacritics ("Straßen" became
 * "strasen"/"straben"); the address should read "strassen", "aerzte". */
(function ($) {
  if ($ && $.url && $.url.map) {
    $.extend($.url.map, {
      'df': 'ss', '1e9e': 'SS', 'e4': 'ae', 'f6': 'oe', 'fc': 'ue', 'c4': 'Ae', 'd6': 'Oe', 'dc': 'Ue'
    });
  }
})(window.jQuery);
