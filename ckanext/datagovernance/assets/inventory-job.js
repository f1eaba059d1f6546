/* The progress bar of a background inventory import: polls the job's small
 * JSON endpoint every two seconds; when the job is over, the page reloads
 * and shows the report. */
this.ckan.module('datagovernance-inventory-job', function ($) {
  return {
    options: { url: null },
    initialize: function () {
      this.poll = this.poll.bind(this);
      window.setTimeout(this.poll, 1000);
    },
    poll: function () {
      var self = this;
      $.getJSON(this.options.url).done(function (job) {
        var pct = job.total ? Math.floor(100 * job.done / job.total) : 0;
        self.el.find('.progress').attr('aria-valuenow', pct);
        self.el.find('.progress-bar').css('width', pct + '%').text(pct + ' %');
        self.el.find('.datagovernance-inventory-job-count').text(job.done + ' / ' + job.total);
        if (job.state === 'done' || job.state === 'failed') {
          window.location.reload();
        } else {
          window.setTimeout(self.poll, 2000);
        }
      }).fail(function () { window.setTimeout(self.poll, 5000); });
    }
  };
});
