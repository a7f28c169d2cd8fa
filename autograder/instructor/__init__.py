"""The instructor's workflow, one module per step, under the `gpt-course` command line (`cli`):

- `build`: the student and solution notebooks from the source notebooks;
- `exchange` and `lms_zip`: hand assignments out and take submissions in;
- `autograde`: grade a class, one outcome per student; `parallel_execution` grades each student as a Dask task
  (a local cluster or a remote one), `nbgrader_process` runs nbgrader as a child process with limits
  (through `nbgrader_main`, nbgrader's command line at less start-up cost);
  `gradebook`: where the course's gradebook is (SQLite or PostgreSQL);
- `feedback`: the students' feedback pages; `report`: grades as CSV and the class report; `book`: the executed
  solutions as a static website for self-study (`./course.sh book`);
- `errors`: the one-line errors the command line reports.
"""
