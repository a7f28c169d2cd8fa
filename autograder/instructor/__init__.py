"""The instructor's workflow, one module per step, under the `gpt-course` command line (`cli`):

- `build`: the student and solution notebooks from the source notebooks;
- `exchange` and `lms_zip`: hand assignments out and take submissions in;
- `autograde`: grade a class, one outcome per student; `parallel_execution` runs several students at
  a time, `nbgrader_process` runs nbgrader as a child process with limits;
- `feedback`: the students' feedback pages; `report`: grades as CSV and the class report; `book`: the executed
  solutions as a static website for self-study (`./course.sh book`);
- `errors`: the one-line errors the command line reports.
"""
